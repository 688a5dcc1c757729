"""The LLM layer: one OpenAI-protocol client for every backend.

* ``client`` — backend resolution, structured calls, retries, the cache;
* ``schemas`` — one output model rendered per backend (strict / json_schema / json_object);
* ``outputs`` — the short-keyed, bounded schemas the model writes;
* ``prompts`` — prompt files with a TOML header, sandboxed Jinja;
* ``model`` — the embedded model file assembled from its PyPI parts;
* ``server`` — the embedded model's llama-cpp-python server, started and stopped.
"""
