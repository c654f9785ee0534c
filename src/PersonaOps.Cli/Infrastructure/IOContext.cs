namespace PersonaOps.Cli;

/// <summary>
/// Everything a command touches outside the process: its two output streams, the environment and the
/// working directory. Commands never use <see cref="Console"/> directly, so tests run the whole CLI
/// in-process with captured output.
/// </summary>
public sealed record IOContext(
    TextWriter Out,
    TextWriter Error,
    Func<string, string?> Environment,
    string CurrentDirectory,
    bool IsTerminal)
{
    /// <summary>The project file and the environment this run is for (<see cref="ProjectSelection"/>); none without a project file.</summary>
    public ProjectSelection Project { get; init; } = ProjectSelection.None;

    /// <summary>Where confirmations are read from.</summary>
    public TextReader In { get; init; } = TextReader.Null;

    /// <summary>The secret values to mask in everything written to <see cref="Out"/> and <see cref="Error"/>.</summary>
    public SecretRedactor Redactor { get; init; } = new();

    /// <summary>Ctrl+C and SIGTERM: what the command should stop, and when to abandon what is in flight.</summary>
    public Interruption Interruption { get; init; } = Interruption.None;

    /// <summary>True when a person can answer a prompt: input and output are both a terminal.</summary>
    public bool IsInteractive { get; init; }

    /// <summary>True when stderr is a terminal, so a person watches it: long applies show their progress there.</summary>
    public bool ErrorIsTerminal { get; init; }

    public static IOContext FromConsole() => new(
        Console.Out,
        Console.Error,
        System.Environment.GetEnvironmentVariable,
        Directory.GetCurrentDirectory(),
        !Console.IsOutputRedirected && !Console.IsErrorRedirected)
    {
        In = Console.In,
        IsInteractive = !Console.IsInputRedirected && !Console.IsOutputRedirected,
        ErrorIsTerminal = !Console.IsErrorRedirected,
    };

    /// <summary>Colour only on a terminal, and never with NO_COLOR set (https://no-color.org).</summary>
    public bool UseColor(bool noColorOption) =>
        IsTerminal && !noColorOption && string.IsNullOrEmpty(Environment("NO_COLOR"));
}
