"""A stand-in for one Salesforce Marketing Cloud Engagement stack (auth, REST, SOAP).

Entry points: ``simulator.state.Simulator`` (the model), ``simulator.app.create_app``
(the ASGI app) and ``python -m simulator`` (the CLI). See docs/simulator.md. This package
imports nothing from the rest of the project: it is the oracle the product is tested against.
"""
