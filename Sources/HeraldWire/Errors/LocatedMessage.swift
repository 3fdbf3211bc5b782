/// Error messages of the byte-level decoders (JSON, forms), which say where in the input the problem is.
enum LocatedMessage {
    /// `problem` followed by " at byte N". When `problem` carries advice after "; " ("trailing comma before
    /// ']'; remove the last ','"), the location goes before the advice.
    static func text(_ problem: String, at offset: Int) -> String {
        guard let split = problem.firstRange(of: "; ") else { return "\(problem) at byte \(offset)" }
        return "\(problem[..<split.lowerBound]) at byte \(offset)\(problem[split.lowerBound...])"
    }
}
