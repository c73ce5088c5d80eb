"""budgetopt's Streamlit app: `make app`, or `streamlit run app.py`. All logic is in the package."""

from pathlib import Path

from budgetopt.ui.app import main

main(models_dir=Path(__file__).resolve().parent / "models")
