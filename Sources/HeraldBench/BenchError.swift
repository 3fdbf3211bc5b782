/// A benchmark failure with a message meant for the person running it.
package struct BenchError: Error, CustomStringConvertible {
    package var description: String

    init(_ description: String) {
        self.description = description
    }
}
