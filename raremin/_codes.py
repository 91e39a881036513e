"""
Codes shared by block models, their files, exports and displays (private).

The public name is :data:`raremin.classification.CLASS_NAMES`; it is defined here, below
the block model and its file formats, so that they can name the classes without
importing the classification.
"""

from __future__ import annotations

#: Resource class names in code order: ``CLASS_NAMES[code]`` for the int8 codes 0..3 of a
#: block model's ``resource_class`` array (0: not classified, not reported).
CLASS_NAMES: tuple[str, ...] = ("Unclassified", "Measured", "Indicated", "Inferred")
