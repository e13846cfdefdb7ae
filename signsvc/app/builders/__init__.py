"""Per-feature builders of the composition root: each turns settings (and the parts it
needs) into one feature's services. Only ``signsvc.app`` and its builders construct
adapters; ``stores`` opens every state file, at the path ``Settings.paths`` names."""
