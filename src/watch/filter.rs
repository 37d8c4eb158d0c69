//! Editors' temporary files, which never start a build
//! (spec: [watch.editor-temp]).

use std::ffi::OsStr;

/// Whether a file name is one an editor writes while saving or editing:
/// vim's write test `4913`, Emacs lock files `.#*`, backups `*~`, and vim
/// swap files `*.sw?` (`.swp`, `.swo`, `.swx`, ...).
pub fn is_editor_temp(name: &OsStr) -> bool {
    let name = name.as_encoded_bytes();
    if name == b"4913" || name.starts_with(b".#") || name.ends_with(b"~") {
        return true;
    }
    name.len() >= 4 && name[..name.len() - 1].ends_with(b".sw")
}

#[cfg(test)]
mod tests {
    use super::is_editor_temp;
    use std::ffi::OsStr;

    #[test]
    fn editor_temporaries() {
        for temp in [
            "4913",
            ".#main.c",
            "main.c~",
            ".main.c.swp",
            ".main.c.swx",
            "x.swo",
        ] {
            assert!(is_editor_temp(OsStr::new(temp)), "{temp}");
        }
        for real in [
            "main.c",
            "49130",
            "a#b",
            "swap.sw",
            ".swp.c",
            "sw",
            "build.ninja",
        ] {
            assert!(!is_editor_temp(OsStr::new(real)), "{real}");
        }
    }
}
