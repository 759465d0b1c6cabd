//! `cargo xtask icons`: every icon the bundles need, made from one source image (`icons/icon.png`, 512×512 RGBA):
//! the PNG sizes Linux uses, `icon.ico` for Windows and `icon.icns` for macOS. The outputs are committed; run this
//! again after changing the source.
//!
//! Pure Rust (the `ico` crate reads and writes the PNGs, the `icns` crate writes the Apple container); the sizes
//! are made by an area-average filter over premultiplied alpha, so edges neither darken nor ring.

use anyhow::{Context, Result, bail};
use std::path::Path;

/// The source every icon is made from.
pub const SOURCE: &str = "icons/icon.png";

/// The PNG files besides the source: (file under `icons/`, side in pixels).
pub const PNGS: &[(&str, u32)] = &[
    ("32x32.png", 32),
    ("64x64.png", 64),
    ("128x128.png", 128),
    ("128x128@2x.png", 256),
];

/// The sizes inside `icon.ico` (Windows picks one per use: title bar, taskbar, Explorer).
pub const ICO_SIZES: &[u32] = &[16, 24, 32, 48, 64, 256];

/// The images inside `icon.icns`: each type with its side in pixels.
fn icns_types() -> Vec<(icns::IconType, u32)> {
    use icns::IconType::*;
    vec![
        (RGBA32_16x16, 16),
        (RGBA32_16x16_2x, 32),
        (RGBA32_32x32, 32),
        (RGBA32_32x32_2x, 64),
        (RGBA32_128x128, 128),
        (RGBA32_128x128_2x, 256),
        (RGBA32_256x256, 256),
        (RGBA32_256x256_2x, 512),
        (RGBA32_512x512, 512),
    ]
}

/// An RGBA image, row by row.
#[derive(Clone, PartialEq, Eq)]
pub struct Rgba {
    pub side: u32,
    pub pixels: Vec<u8>,
}

/// Read a square RGBA PNG.
pub fn read_png(path: &Path) -> Result<Rgba> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let image = ico::IconImage::read_png(std::io::BufReader::new(file))
        .with_context(|| format!("reading {} as PNG", path.display()))?;
    if image.width() != image.height() {
        bail!(
            "{} is {}×{}: the icon source must be square",
            path.display(),
            image.width(),
            image.height()
        );
    }
    Ok(Rgba {
        side: image.width(),
        pixels: image.into_rgba_data(),
    })
}

/// For each output index, the source indices it covers and how much of each (an area-average filter).
fn weights(from: u32, to: u32) -> Vec<Vec<(usize, f64)>> {
    let scale = f64::from(from) / f64::from(to);
    (0..to)
        .map(|d| {
            let start = f64::from(d) * scale;
            let end = start + scale;
            let mut taps = Vec::new();
            let mut s = start.floor();
            while s < end {
                let overlap = (s + 1.0).min(end) - s.max(start);
                if overlap > 1e-9 {
                    taps.push((s as usize, overlap / scale));
                }
                s += 1.0;
            }
            taps
        })
        .collect()
}

/// `image` scaled down to `side`×`side`: every output pixel is the average of the source area it covers,
/// with colours weighted by alpha.
pub fn resize(image: &Rgba, side: u32) -> Rgba {
    if side == image.side {
        return image.clone();
    }
    let taps = weights(image.side, side);
    let stride = image.side as usize * 4;
    let mut pixels = Vec::with_capacity(side as usize * side as usize * 4);
    for rows in &taps {
        for cols in &taps {
            let mut sum = [0.0f64; 4];
            for &(y, wy) in rows {
                for &(x, wx) in cols {
                    let p = &image.pixels[y * stride + x * 4..][..4];
                    let w = wy * wx;
                    let alpha = f64::from(p[3]) / 255.0;
                    for c in 0..3 {
                        sum[c] += w * f64::from(p[c]) * alpha;
                    }
                    sum[3] += w * alpha;
                }
            }
            let alpha = sum[3];
            for value in &sum[..3] {
                let colour = if alpha > 0.0 { value / alpha } else { 0.0 };
                pixels.push(colour.round().clamp(0.0, 255.0) as u8);
            }
            pixels.push((alpha * 255.0).round().clamp(0.0, 255.0) as u8);
        }
    }
    Rgba { side, pixels }
}

fn ico_image(image: &Rgba) -> ico::IconImage {
    ico::IconImage::from_rgba_data(image.side, image.side, image.pixels.clone())
}

/// The PNG bytes of `image`.
pub fn png_bytes(image: &Rgba) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    ico_image(image).write_png(&mut out)?;
    Ok(out)
}

/// The `.ico` bytes: every size of [`ICO_SIZES`] (each stored as the `ico` crate chooses: PNG for this source,
/// whose edges have partial alpha).
pub fn ico_bytes(source: &Rgba) -> Result<Vec<u8>> {
    let mut dir = ico::IconDir::new(ico::ResourceType::Icon);
    for &side in ICO_SIZES {
        dir.add_entry(ico::IconDirEntry::encode(&ico_image(&resize(
            source, side,
        )))?);
    }
    let mut out = Vec::new();
    dir.write(&mut out)?;
    Ok(out)
}

/// The `.icns` bytes: every type of [`icns_types`].
pub fn icns_bytes(source: &Rgba) -> Result<Vec<u8>> {
    let mut family = icns::IconFamily::new();
    for (kind, side) in icns_types() {
        let scaled = resize(source, side);
        let image = icns::Image::from_data(icns::PixelFormat::RGBA, side, side, scaled.pixels)?;
        family.add_icon_with_type(&image, kind)?;
    }
    let mut out = Vec::new();
    family.write(&mut out)?;
    Ok(out)
}

/// Every output file (path under the repository, bytes), made from `source`.
pub fn outputs(source: &Rgba) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for (name, side) in PNGS {
        out.push((format!("icons/{name}"), png_bytes(&resize(source, *side))?));
    }
    out.push(("icons/icon.ico".to_string(), ico_bytes(source)?));
    out.push(("icons/icon.icns".to_string(), icns_bytes(source)?));
    Ok(out)
}

/// `cargo xtask icons`: write every output beside the source.
pub fn generate() -> Result<()> {
    let root = crate::util::root();
    let source = read_png(&root.join(SOURCE))?;
    if source.side < 512 {
        bail!(
            "{SOURCE} is {0}×{0}; it must be at least 512×512 (the largest icon made from it)",
            source.side
        );
    }
    for (path, bytes) in outputs(&source)? {
        std::fs::write(root.join(&path), &bytes).with_context(|| format!("writing {path}"))?;
        crate::util::step(&format!("wrote {path} ({} bytes)", bytes.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_average_keeps_flat_colours_and_averages_edges() {
        // 4×4: left half opaque red, right half transparent.
        let mut pixels = Vec::new();
        for _ in 0..4 {
            for x in 0..4 {
                pixels.extend_from_slice(if x < 2 {
                    &[255, 0, 0, 255]
                } else {
                    &[0, 0, 0, 0]
                });
            }
        }
        let image = Rgba { side: 4, pixels };
        let two = resize(&image, 2);
        assert_eq!(
            two.pixels,
            vec![255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255, 0, 0, 0, 0]
        );
        // One pixel: half covered, and the colour is still pure red (no dark fringe from the transparent half).
        let one = resize(&image, 1);
        assert_eq!(one.pixels, vec![255, 0, 0, 128]);
        // A fractional scale: weights of each output sum to 1.
        for taps in weights(512, 48) {
            let total: f64 = taps.iter().map(|(_, w)| w).sum();
            assert!((total - 1.0).abs() < 1e-9);
        }
    }

    /// The committed icons are what `cargo xtask icons` makes from the committed source (compared as pixels, so
    /// an encoder update alone does not fail this), and the config lists them.
    #[test]
    fn committed_icons_match_the_source() {
        let root = crate::util::root();
        let source = read_png(&root.join(SOURCE)).unwrap();
        for (name, side) in PNGS {
            let committed = read_png(&root.join("icons").join(name)).unwrap();
            assert!(
                committed == resize(&source, *side),
                "icons/{name} differs from the source: run `cargo xtask icons`"
            );
        }
        let ico =
            ico::IconDir::read(std::fs::File::open(root.join("icons/icon.ico")).unwrap()).unwrap();
        let sizes: Vec<u32> = ico.entries().iter().map(|e| e.width()).collect();
        assert_eq!(sizes, ICO_SIZES);
        for entry in ico.entries() {
            let image = entry.decode().unwrap();
            let expected = resize(&source, entry.width());
            assert!(
                image.rgba_data() == expected.pixels,
                "icon.ico at {}",
                entry.width()
            );
        }
        let icns =
            icns::IconFamily::read(std::fs::File::open(root.join("icons/icon.icns")).unwrap())
                .unwrap();
        for (kind, side) in icns_types() {
            let image = icns.get_icon_with_type(kind).unwrap();
            assert_eq!((image.width(), image.height()), (side, side), "{kind:?}");
        }
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join("tauri.conf.json")).unwrap())
                .unwrap();
        let listed: Vec<&str> = config["bundle"]["icon"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        for file in PNGS
            .iter()
            .map(|(n, _)| format!("icons/{n}"))
            .chain(["icons/icon.png", "icons/icon.ico", "icons/icon.icns"].map(String::from))
        {
            assert!(
                listed.contains(&file.as_str()),
                "tauri.conf.json bundle.icon lacks {file}"
            );
        }
    }
}
