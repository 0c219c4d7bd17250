fn main() {
    let args = std::env::args_os().collect();
    std::process::exit(unitbox_core::supervisor::or_applet(
        args,
        unitbox_systemctl::main,
    ));
}
