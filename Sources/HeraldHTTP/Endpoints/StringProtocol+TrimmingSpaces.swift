extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (HTTP optional whitespace).
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
