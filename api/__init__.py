"""DataML Studio's REST API (``/api/v1``): a second adapter over ``core``, beside the Streamlit pages.

Routes are thin: parse the input, make one engine service call, map the result to a pydantic model.
Permissions, tenancy and audit are the engine's, so the API and the pages can never disagree.
"""
