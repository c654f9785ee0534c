namespace PersonaOps.Core.Diagnostics;

/// <summary>How bad a diagnostic is: errors fail the command (exit 1), warnings do not.</summary>
public enum Severity
{
    Error,
    Warning,
}

/// <summary>
/// A one-based line and column in a source file. <see cref="File"/> is set only where a document was merged
/// from several files (an environment's overlay onto its base manifest): the file that supplied the value,
/// which a diagnostic then names instead of the manifest's own file.
/// </summary>
public readonly record struct SourcePosition(int Line, int Column)
{
    /// <summary>The start of a file.</summary>
    public static SourcePosition Start { get; } = new(1, 1);

    /// <summary>The file this position is in, when it is not the file of the document it was looked up in; else null.</summary>
    public string? File { get; init; }

    /// <summary><c>file(line,col)</c>: where a person finds the value, <paramref name="file"/> unless the position names its own.</summary>
    public string In(string file) => $"{File ?? file}({Line},{Column})";
}

/// <summary>
/// One finding about the user's input: a stable code, a severity, where it is, and a message a person
/// can act on. Diagnostics are values; rendering them is the job of <see cref="DiagnosticFormatter"/>.
/// </summary>
public sealed record Diagnostic(string Code, Severity Severity, string File, SourcePosition Position, string Message)
{
    public bool IsError => Severity == Severity.Error;

    /// <summary>The resource the finding is about (<c>persona.coach</c>), when it is about one.</summary>
    public string? Address { get; init; }

    public override string ToString() => DiagnosticFormatter.FormatText(this);
}
