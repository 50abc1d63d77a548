"""Every picture the pages show, drawn from plain values: the loss and comparison charts, the
next-token bars, the inside views' heat maps and maps, and the SVG diagram of a network."""
