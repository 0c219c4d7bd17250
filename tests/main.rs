//! Integration tests: they run the real `unitbox` binary (through symlinks named like the
//! applets) on real files and processes. One test binary, one module per area.

mod support;

mod install;
mod loading;
mod multicall;
mod readonly;
