"""The pynn backends (``pynn:nest``, ``pynn:neuron``, ``pynn:brian2``): PyNN 0.13 driving NEST, NEURON and
Brian2 with the network instance snnrun drew. Nothing here imports PyNN or a simulator until a run."""
