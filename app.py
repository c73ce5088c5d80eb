"""budgetopt's Streamlit app: `make app`, or `streamlit run app.py`. All logic is in the package."""

from pathlib import Path

from budgetopt.ui.app import main

# Streamlit runs this script as "__main__". A process the app (or a test beside it) starts by
# "spawn" re-imports it as "__mp_main__": that import must not draw the app again.
if __name__ == "__main__":
    main(models_dir=Path(__file__).resolve().parent / "models")
