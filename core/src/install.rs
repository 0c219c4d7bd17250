//! The `[Install]` side: unit file states (`is-enabled`), enable/disable, mask/unmask,
//! presets, set-default. (Interface fixed here; the install work item fills it in.)

use crate::unit::{UnitName, UnitStore};

/// systemd's `UnitFileState=` / `is-enabled` vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitFileState {
    Enabled,
    EnabledRuntime,
    Linked,
    LinkedRuntime,
    Alias,
    Masked,
    MaskedRuntime,
    Static,
    Indirect,
    Disabled,
    Generated,
    Transient,
    Bad,
    NotFound,
}

impl UnitFileState {
    pub fn as_str(self) -> &'static str {
        use UnitFileState::*;
        match self {
            Enabled => "enabled",
            EnabledRuntime => "enabled-runtime",
            Linked => "linked",
            LinkedRuntime => "linked-runtime",
            Alias => "alias",
            Masked => "masked",
            MaskedRuntime => "masked-runtime",
            Static => "static",
            Indirect => "indirect",
            Disabled => "disabled",
            Generated => "generated",
            Transient => "transient",
            Bad => "bad",
            NotFound => "not-found",
        }
    }

    /// `is-enabled` exits 0 for these.
    pub fn counts_as_enabled(self) -> bool {
        use UnitFileState::*;
        matches!(
            self,
            Enabled | EnabledRuntime | Static | Alias | Indirect | Generated
        )
    }
}

/// The unit file state of a name (what `is-enabled` prints).
pub fn unit_file_state(store: &UnitStore, name: &UnitName) -> UnitFileState {
    match store.resolve(name) {
        None => UnitFileState::NotFound,
        Some(_) => UnitFileState::Static,
    }
}

/// `UnitFilePreset=`: `Some(true)` for enable, `Some(false)` for disable, `None` when the
/// unit has no file.
pub fn preset_enabled(store: &UnitStore, name: &UnitName) -> Option<bool> {
    store.resolve(name).map(|_| true)
}
