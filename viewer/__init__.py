"""The pygame viewer (planned). It draws from the trace and the read-only scene description
(``Simulation.scene``) and never imports device modules."""
