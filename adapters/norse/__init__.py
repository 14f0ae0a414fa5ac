"""The norse backend: Norse 1.1 (PyTorch) running a spec through its NIR import. Importing this
package imports neither torch nor norse."""
