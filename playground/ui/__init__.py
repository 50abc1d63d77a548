"""The Gradio layer: a thin shell over the core. The only package that imports gradio."""
