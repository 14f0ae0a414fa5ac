"""What the Norse and snnTorch backends share: running a spec through a PyTorch framework's own NIR
import. Nothing here imports torch, nir or a framework until a run (in the backend's worker process)."""
