//! The `[Install]` side: unit file states, enable/disable, mask/unmask, presets,
//! set-default. Filled in by the install work item.
