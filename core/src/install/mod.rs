//! The `[Install]` side, as systemd 252's `src/shared/install.c` does it client-side:
//! unit file states (`is-enabled`, `list-unit-files`), enable/disable/reenable, mask/unmask,
//! link, presets, set-default, and the SysV init script fallback.
//!
//! - [`index`]: one scan of the search path (names, symlinks, `.wants/` contents) shared by
//!   every query of a command.
//! - [`info`]: finding a unit file the way install.c does and reading its `[Install]`.
//! - [`state`]: the `is-enabled` vocabulary.
//! - [`changes`]: the symlink plan/apply primitives and systemd's messages about them.
//! - [`ops`]: the verbs built on those; [`preset`]: `*.preset` files; [`sysv`]: init.d;
//!   [`dependency`]: add-wants/add-requires; [`revert`]: back to the vendor state.

mod apply;
pub mod changes;
mod context;
pub mod dependency;
pub mod index;
pub mod info;
pub mod list;
pub mod ops;
pub mod preset;
pub mod revert;
mod specifier;
pub mod state;
pub mod sysv;

use crate::unit::{UnitName, UnitStore};

pub use changes::{Change, ChangeLog, Errno};
pub use index::Index;

crate::state::words::words! {
    /// systemd's `UnitFileState=` / `is-enabled` vocabulary.
    UnitFileState {
        Enabled = "enabled",
        EnabledRuntime = "enabled-runtime",
        Linked = "linked",
        LinkedRuntime = "linked-runtime",
        Alias = "alias",
        Masked = "masked",
        MaskedRuntime = "masked-runtime",
        Static = "static",
        Indirect = "indirect",
        Disabled = "disabled",
        Generated = "generated",
        Transient = "transient",
        Bad = "bad",
        NotFound = "not-found",
    }
}

impl UnitFileState {
    /// `is-enabled` exits 0 for these.
    pub fn counts_as_enabled(self) -> bool {
        use UnitFileState::*;
        matches!(
            self,
            Enabled | EnabledRuntime | Static | Alias | Indirect | Generated
        )
    }

    /// `list-unit-files` leaves the preset column empty for these ("-" / JSON null).
    pub fn shows_preset(self) -> bool {
        use UnitFileState::*;
        !matches!(self, Alias | Static | Generated | Transient)
    }
}

/// The unit file state of a name (what `is-enabled` prints); `NotFound` when there is no
/// file or it cannot be read.
pub fn unit_file_state(store: &UnitStore, name: &UnitName) -> UnitFileState {
    let index = Index::new(store.scope());
    let quiet = info::Diagnostics::Quiet;
    state::lookup(store.scope(), &index, name.as_str(), quiet).unwrap_or(UnitFileState::NotFound)
}

/// `UnitFilePreset=`: `Some(true)` for enable, `Some(false)` for disable, `None` when the
/// unit has no file.
pub fn preset_enabled(store: &UnitStore, name: &UnitName) -> Option<bool> {
    let index = Index::new(store.scope());
    info::discover(
        store.scope(),
        &index,
        name.as_str(),
        info::Load::No,
        info::Diagnostics::Quiet,
    )
    .ok()?;
    let presets = preset::Presets::read(store.scope(), info::Diagnostics::Quiet);
    Some(presets.query(name.as_str()))
}
