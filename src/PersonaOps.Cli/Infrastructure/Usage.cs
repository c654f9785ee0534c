using System.CommandLine;
using System.CommandLine.Parsing;

namespace PersonaOps.Cli;

/// <summary>
/// Bad usage, checked before a command runs and reported in PersonaOps's words: one line on stderr and exit 1
/// (a misspelt or missing command adds its help, on stderr too: stdout may be redirected into a file).
/// <para>
/// System.CommandLine hands a token that matches no option to a command's positional argument when it takes
/// any number of them (plan's PATHS): here a token that starts with '-', is no option's value and comes
/// before <c>--</c> is an unknown option, so <c>plan --ouput markdown</c> is never read as a manifest path,
/// while <c>validate -- -odd.yaml</c> still names a file.
/// </para>
/// </summary>
internal static class Usage
{
    /// <summary>The problem with this command line, or null when the command may run.</summary>
    public static Problem? Check(ParseResult parseResult, IReadOnlyList<string> args)
    {
        // --help and --version answer whatever else the line holds.
        if (parseResult.Action is { ClearsParseErrors: true })
        {
            return null;
        }

        var command = parseResult.CommandResult;
        var isGroup = command.Command.Subcommands.Count > 0 && command.Command.Action is null;
        var unmatched = parseResult.UnmatchedTokens;

        // A word where a command was expected: the nearest command, and the group's help.
        if (isGroup && unmatched.FirstOrDefault(t => !LooksLikeOption(t)) is { } word)
        {
            var names = command.Command.Subcommands.Where(c => !c.Hidden).SelectMany(c => new[] { c.Name }.Concat(c.Aliases));
            var where = command.Parent is null ? "" : $" for {CommandPath(command)}";
            var suggestion = Nearest(word, names, Math.Max(1, word.Length / 3)) is { } near ? $"; did you mean {near}?" : ".";
            return new Problem($"unknown command '{word}'{where}{suggestion}", command, ShowHelp: true);
        }

        if (UnknownOption(parseResult) is { } unknown)
        {
            var known = KnownOptions(command).ToArray();
            var suggestion = NearestOption(unknown, known) is { } near
                ? $"did you mean {near}?"
                : $"{CommandLine(command)} --help lists its options.";
            return new Problem($"unknown option {unknown} for {CommandPath(command)}; {suggestion}", command, ShowHelp: false);
        }

        // A switch given a value (--auto-approve=yes): System.CommandLine would pass 'yes' on as a path.
        if (SwitchWithValue(command, args) is { } valued)
        {
            return new Problem($"{valued.Option} is a switch and takes no value, not '{valued.Value}'; give {valued.Option} alone.", command, ShowHelp: false);
        }

        if (isGroup)
        {
            var what = command.Parent is null ? "" : $" for {CommandPath(command)}";
            return new Problem($"give a command{what}; they are listed below.", command, ShowHelp: true);
        }

        if (unmatched.Count > 0)
        {
            return new Problem($"unexpected argument '{unmatched[0]}' for {CommandPath(command)}; {CommandLine(command)} --help shows its usage.", command, ShowHelp: false);
        }

        if (parseResult.Errors.Count == 0)
        {
            return null;
        }

        // An option given without its value.
        if (OptionResults(parseResult.RootCommandResult).FirstOrDefault(o => !o.Implicit && o.Tokens.Count == 0 && o.Option.Arity.MinimumNumberOfValues > 0) is { } bare)
        {
            return new Problem($"{bare.IdentifierToken?.Value ?? bare.Option.Name} needs a value; {CommandLine(command)} --help describes it.", command, ShowHelp: false);
        }

        if (command.Command.Options.FirstOrDefault(o => o.Required && parseResult.GetResult(o) is null or { Implicit: true }) is { } required)
        {
            return new Problem($"{required.Name} is required for {CommandPath(command)}; {CommandLine(command)} --help describes it.", command, ShowHelp: false);
        }

        // Values refused by their option's parser or validators: those messages are PersonaOps's own.
        if (parseResult.Errors.FirstOrDefault(e => e.SymbolResult is OptionResult or ArgumentResult { Parent: OptionResult }) is { } refused)
        {
            return new Problem(OneLine(refused.Message), command, ShowHelp: false);
        }

        if (command.Command.Arguments.FirstOrDefault(a => a.Arity.MinimumNumberOfValues > 0 && (parseResult.GetResult(a)?.Tokens.Count ?? 0) == 0) is { } argument)
        {
            return new Problem($"{CommandPath(command)} needs a {argument.Name.ToUpperInvariant()}; {CommandLine(command)} --help shows its usage.", command, ShowHelp: false);
        }

        return new Problem($"{OneLine(parseResult.Errors[0].Message)} ({CommandLine(command)} --help shows its usage)", command, ShowHelp: false);
    }

    /// <summary>Writes the problem: one line, then the command's help when it has one to show.</summary>
    public static void Report(RootCommand root, Problem problem, IOContext io)
    {
        io.Error.WriteLine($"personaops: error: {problem.Message}");
        if (problem.ShowHelp)
        {
            io.Error.WriteLine();
            var path = Path(problem.Command).Select(c => c.Command.Name).Skip(1);
            root.Parse([.. path, "--help"]).Invoke(new InvocationConfiguration { Output = io.Error, Error = io.Error });
        }
    }

    /// <summary>"plan", "sandbox serve"; "personaops" for the root. Used in messages about the command in use.</summary>
    public static string CommandPath(SymbolResult result)
    {
        var command = result as CommandResult;
        for (var r = result.Parent; command is null && r is not null; r = r.Parent)
        {
            command = r as CommandResult;
        }

        if (command is null)
        {
            return "personaops";
        }

        var names = Path(command).Skip(1).Select(c => c.Command.Name).ToArray();
        return names.Length > 0 ? string.Join(' ', names) : command.Command is RootCommand ? "personaops" : command.Command.Name;
    }

    /// <summary>The nearest of <paramref name="candidates"/> within <paramref name="limit"/> edits (a swap of neighbours is one), or null.</summary>
    public static string? Nearest(string word, IEnumerable<string> candidates, int limit)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(word, candidate);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return bestDistance <= limit ? best : null;
    }

    /// <summary>The first token that looks like an option, is no option's value and comes before <c>--</c>; null when none.</summary>
    private static string? UnknownOption(ParseResult parseResult)
    {
        var values = new HashSet<Token>(OptionResults(parseResult.RootCommandResult).SelectMany(o => o.Tokens), ReferenceEqualityComparer.Instance);
        foreach (var token in parseResult.Tokens)
        {
            if (token.Type == TokenType.DoubleDash)
            {
                break;
            }

            if (token.Type == TokenType.Argument && LooksLikeOption(token.Value) && !values.Contains(token))
            {
                // The name only: what follows '=' may be a value nobody should see in a CI log (--api-key=...).
                return token.Value.Split('=', ':')[0];
            }
        }

        return null;
    }

    /// <summary>The first <c>--switch=value</c> (or <c>:value</c>) before <c>--</c> whose value is not true or false.</summary>
    private static (string Option, string Value)? SwitchWithValue(CommandResult command, IReadOnlyList<string> args)
    {
        var switches = Path(command)
            .SelectMany(c => c.Command.Options.Where(o => o.ValueType == typeof(bool) && (o.Recursive || c == command)))
            .SelectMany(o => o.Aliases.Append(o.Name))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var arg in args.TakeWhile(a => a != "--"))
        {
            var separator = arg.IndexOfAny(['=', ':']);
            if (separator > 0 && switches.Contains(arg[..separator]) && !bool.TryParse(arg[(separator + 1)..], out _))
            {
                return (arg[..separator], arg[(separator + 1)..]);
            }
        }

        return null;
    }

    private static bool LooksLikeOption(string token) => token.Length > 1 && token[0] == '-';

    /// <summary>A long option is compared with the long options; a near one, or the only one it begins, is suggested.</summary>
    private static string? NearestOption(string unknown, IReadOnlyList<string> known)
    {
        if (!unknown.StartsWith("--", StringComparison.Ordinal))
        {
            return null;
        }

        var name = unknown;
        var longOptions = known.Where(k => k.StartsWith("--", StringComparison.Ordinal)).ToArray();
        if (Nearest(name, longOptions, Math.Max(1, (name.Length - 2) / 4)) is { } near)
        {
            return near;
        }

        var extending = longOptions.Where(k => k.StartsWith(name, StringComparison.Ordinal)).ToArray();
        return extending.Length == 1 ? extending[0] : null;
    }

    /// <summary>The options a command accepts: its own and its ancestors' recursive ones.</summary>
    private static IEnumerable<string> KnownOptions(CommandResult command)
    {
        foreach (var result in Enumerable.Reverse(Path(command)))
        {
            foreach (var option in result.Command.Options.Where(o => !o.Hidden && (o.Recursive || result == command)))
            {
                yield return option.Name;
                foreach (var alias in option.Aliases)
                {
                    yield return alias;
                }
            }
        }
    }

    private static IEnumerable<OptionResult> OptionResults(CommandResult command)
    {
        foreach (var child in command.Children)
        {
            switch (child)
            {
                case OptionResult option:
                    yield return option;
                    break;
                case CommandResult sub:
                    foreach (var option in OptionResults(sub))
                    {
                        yield return option;
                    }

                    break;
            }
        }
    }

    /// <summary>From the root to <paramref name="command"/>.</summary>
    private static List<CommandResult> Path(CommandResult command)
    {
        var path = new List<CommandResult>();
        for (SymbolResult? r = command; r is not null; r = r.Parent)
        {
            if (r is CommandResult c)
            {
                path.Add(c);
            }
        }

        path.Reverse();
        return path;
    }

    /// <summary>"personaops plan", for telling the user what to run.</summary>
    private static string CommandLine(CommandResult command)
    {
        var path = CommandPath(command);
        return path == "personaops" ? path : "personaops " + path;
    }

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Edits between two words, whatever their case (the one distance suggestions use everywhere).</summary>
    private static int Distance(string a, string b) => Core.Validation.Suggestions.Distance(a.ToLowerInvariant(), b.ToLowerInvariant());

    /// <summary>What is wrong with a command line, and the command it concerns.</summary>
    internal sealed record Problem(string Message, CommandResult Command, bool ShowHelp);
}
