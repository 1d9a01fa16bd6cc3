//! Colours: a palette for task names, and a ramp for priorities and durations.

/// Ten well-separated colours (Tableau 10), for the first names of a picture.
const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// The colour of the `n`th name (in sorted order) of a picture: the palette first, then a
/// hash of the name, so every name gets a colour and the first ten are clearly distinct.
pub(crate) fn nth_name(n: usize, name: &str) -> String {
    PALETTE.get(n).map_or_else(|| for_name(name), |c| (*c).to_owned())
}

/// A stable colour for `name` (FNV-1a hash to a hue), as `#rrggbb`.
pub(crate) fn for_name(name: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in name.bytes() {
        hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    // Golden-ratio spacing of hues keeps neighbouring hashes apart.
    let hue = (f64::from(hash) * 0.618_033_988_75).fract();
    hsv(hue, 0.55, 0.9)
}

/// A ramp from blue (`t = 0`) through green and yellow to red (`t = 1`).
pub(crate) fn ramp(t: f64) -> String {
    hsv(0.66 * (1.0 - t.clamp(0.0, 1.0)), 0.5, 1.0)
}

/// HSV (each in `0..=1`) as `#rrggbb`.
fn hsv(h: f64, s: f64, v: f64) -> String {
    let i = (h * 6.0).floor();
    let f = h * 6.0 - i;
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - f * s), v * (1.0 - (1.0 - f) * s));
    let (r, g, b) = match i as i64 % 6 {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    };
    let byte = |x: f64| (x * 255.0).round() as u8;
    format!("#{:02x}{:02x}{:02x}", byte(r), byte(g), byte(b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn colours_are_hex_and_stable() {
        assert_eq!(super::for_name("inc"), super::for_name("inc"));
        assert_eq!(super::for_name("inc").len(), 7);
        assert_eq!(super::nth_name(0, "a"), "#4e79a7");
        assert_eq!(super::nth_name(12, "inc"), super::for_name("inc"));
        assert_eq!(super::ramp(1.0), "#ff8080");
        assert_eq!(super::ramp(0.0).len(), 7);
    }
}
