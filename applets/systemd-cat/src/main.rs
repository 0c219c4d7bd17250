fn main() {
    std::process::exit(unitbox_systemd_cat::main(std::env::args_os().collect()));
}
