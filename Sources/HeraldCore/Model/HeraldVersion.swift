/// The version of Herald this binary is: reported by `herald --version` and in `GET /stats` (`node.version`).
public enum HeraldVersion {
    /// The release this source tree builds; changed by hand when a release is tagged.
    public static let current = "0.1.0"
}
