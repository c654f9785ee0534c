using System.CommandLine;
using System.CommandLine.Parsing;

namespace PersonaOps.Cli;

/// <summary>
/// How a renderer may draw: colour (a terminal, no NO_COLOR), the verbose detail, and where the product was
/// computed (the commit and CI run a pull-request comment names).
/// </summary>
internal sealed record RenderOptions(bool Color, bool Verbose, Core.Rendering.MarkdownContext? Context = null);

/// <summary>One rendering of a command's product, under the name <c>--output</c> takes.</summary>
internal sealed class OutputFormat<T>(string name, string description, Func<T, RenderOptions, string> render)
{
    public string Name { get; } = name;

    /// <summary>What the format is, for --help.</summary>
    public string Description { get; } = description;

    /// <summary>The product as it goes to stdout.</summary>
    public string Render(T product, RenderOptions options) => render(product, options);

    public override string ToString() => Name;
}

/// <summary>
/// The --output formats of one kind of product (a plan, diagnostics, an apply report): one table from
/// which the option's accepted values, its help, its error message and the dispatch to the renderer all
/// come. The first format registered is the default. A new format is one renderer and one <see cref="Add"/>.
/// </summary>
internal sealed class OutputFormats<T>
{
    private readonly List<OutputFormat<T>> _formats = [];

    public OutputFormats<T> Add(string name, string description, Func<T, RenderOptions, string> render)
    {
        if (Find(name) is not null)
        {
            throw new ArgumentException($"the output format '{name}' is registered twice", nameof(name));
        }

        _formats.Add(new OutputFormat<T>(name, description, render));
        return this;
    }

    public IReadOnlyList<OutputFormat<T>> All => _formats;

    /// <summary>The format used when --output is not given.</summary>
    public OutputFormat<T> Default => _formats.Count > 0 ? _formats[0] : throw new InvalidOperationException("no output format is registered");

    /// <summary>The format of this name (any case), or null.</summary>
    public OutputFormat<T>? Find(string name) => _formats.Find(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The format of this name; it must be registered.</summary>
    public OutputFormat<T> Get(string name) => Find(name) ?? throw new ArgumentException($"no output format '{name}' is registered", nameof(name));

    /// <summary>"text, json or markdown".</summary>
    public string Accepted => _formats.Count == 0 ? "(none)" : OptionValues.Or([.. _formats.Select(f => f.Name)]);

    /// <summary>
    /// <c>--output</c>/<c>-o</c>, accepting exactly the registered names. The option may be shared by
    /// several commands (plan, drift and show render a plan alike); errors name the command used.
    /// </summary>
    public Option<OutputFormat<T>?> CreateOption()
    {
        var option = new Option<OutputFormat<T>?>("--output", "-o")
        {
            Description = string.Join("; ", _formats.Select((f, i) => $"{f.Name}{(i == 0 ? " (the default)" : "")}: {f.Description}")) + ".",
            HelpName = string.Join('|', _formats.Select(f => f.Name)),
            CustomParser = Parse,
        };
        option.CompletionSources.Add(_ => _formats.Select(f => f.Name));
        return option;
    }

    /// <summary>The format the command line chose, or the default.</summary>
    public OutputFormat<T> Chosen(ParseResult parseResult, Option<OutputFormat<T>?> option) => parseResult.GetValue(option) ?? Default;

    private OutputFormat<T>? Parse(ArgumentResult result)
    {
        var value = OptionValues.Last(result);
        if (Find(value) is { } format)
        {
            return format;
        }

        result.AddError($"--output must be {Accepted} for {Usage.CommandPath(result)}, not '{value}'.");
        return null;
    }
}
