//! Builds libopus from the bundled source (`libopus/`, upstream 1.3) with
//! the `cc` crate: a C compiler is all it needs, no cmake, no autotools, no
//! system library. The source lists are upstream's own `*_sources.mk`.

use std::path::Path;

/// The Makefile variables that name the sources of a float build without
/// SIMD (the portable C paths; plenty for 48 kHz mono speech).
const SOURCE_LISTS: &[(&str, &str)] = &[
    ("celt_sources.mk", "CELT_SOURCES"),
    ("silk_sources.mk", "SILK_SOURCES"),
    ("silk_sources.mk", "SILK_SOURCES_FLOAT"),
    ("opus_sources.mk", "OPUS_SOURCES"),
    ("opus_sources.mk", "OPUS_SOURCES_FLOAT"),
];

/// The files a `NAME = a.c \ b.c` assignment lists.
fn sources_of(makefile: &str, name: &str) -> Vec<String> {
    let mut files = Vec::new();
    let mut inside = false;
    for line in makefile.lines() {
        let line = line.trim();
        if !inside {
            match line.split_once('=') {
                Some((var, rest)) if var.trim() == name => {
                    inside = true;
                    files.extend(
                        rest.split_whitespace()
                            .filter(|w| *w != "\\")
                            .map(String::from),
                    );
                    if !line.ends_with('\\') {
                        break;
                    }
                }
                _ => {}
            }
            continue;
        }
        files.extend(
            line.split_whitespace()
                .filter(|w| *w != "\\")
                .map(String::from),
        );
        if !line.ends_with('\\') {
            break;
        }
    }
    files
}

fn main() {
    let root = Path::new("libopus");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=libopus");
    let mut build = cc::Build::new();
    for (file, var) in SOURCE_LISTS {
        let path = root.join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let files = sources_of(&text, var);
        assert!(!files.is_empty(), "{var} lists no sources in {file}");
        for f in files {
            build.file(root.join(f));
        }
    }
    build
        .include(root.join("include"))
        .include(root.join("celt"))
        .include(root.join("silk"))
        .include(root.join("silk/float"))
        .include(root)
        .define("OPUS_BUILD", None)
        // C99 variable-length arrays for the codec's scratch buffers.
        .define("VAR_ARRAYS", None)
        .define("HAVE_LRINT", None)
        .define("HAVE_LRINTF", None)
        .define("PACKAGE_VERSION", Some("\"1.3\""))
        .warnings(false)
        .opt_level(2)
        .compile("opus");
    println!("cargo:include={}", root.join("include").display());
}
