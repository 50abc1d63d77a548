"""Start the Text Generation Playground: ``python app.py [--host H] [--port P]``."""

import argparse
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("PLAYGROUND_HOST", "127.0.0.1"),
                        help="address to listen on (default 127.0.0.1; 0.0.0.0 opens it to the network)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PLAYGROUND_PORT", "7860")))
    args = parser.parse_args()

    from playground.ui.app import create_app, launch_options

    demo, _ = create_app()
    demo.queue(default_concurrency_limit=4).launch(
        server_name=args.host, server_port=args.port, share=False, **launch_options())


if __name__ == "__main__":
    main()
