//! The desktop entry point of the 户档 field app; everything is in the library so mobile builds share it.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    hudang_app::run()
}
