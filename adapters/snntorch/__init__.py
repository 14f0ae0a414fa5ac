"""The snntorch backend: snnTorch 1.0 (PyTorch) running a spec through its NIR import. Importing this
package imports neither torch nor snntorch."""
