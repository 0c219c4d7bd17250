//! `Environment=` and `EnvironmentFile=` syntax. Filled in by the environment work item.
