"""The learning loop: record generations and feedback, let strategy variants compete, monitor.

Entry points for drivers: `choose_strategy` (selector), `record_generation` and
`record_outcomes` (tracking). Everything takes a `Database` and a `LearningConfig` or
`Settings`; nothing reads the environment.
"""
