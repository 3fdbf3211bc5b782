/// Pairs of valid topic names whose cursor keys collide, for tests of cursors and resume.
package enum CollidingTopicNames {
    /// The same 32-bit FNV-1a key (`Topic.legacyCursorKey`, version 1 cursors); a birthday search over
    /// `c0, c1, …` finds it after 1.2 million names.
    package static let legacy32 = (first: "c693596", second: "c1170850")
    /// The same 64-bit FNV-1a key (`Topic.cursorKey`, 0x77893ba5d3c900a3), found in a few minutes on two
    /// cores by `scripts/fnv64-collision.c`: a 64-bit key can be made to collide on purpose, never by chance.
    package static let crafted64 = (first: "w0hNgTikuyD", second: "7AYxKoAEekM")
}
