"""Tests of budgetopt.ui: the Streamlit app under AppTest, and end to end in headless
Chromium (test_e2e.py)."""
