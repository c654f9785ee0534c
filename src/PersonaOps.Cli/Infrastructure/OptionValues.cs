using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace PersonaOps.Cli;

/// <summary>
/// Parsers for typed option values that fail as parse errors in PersonaOps's own words (one line naming the
/// option, what it takes and what it got), never as an exception from reading a value that did not convert.
/// </summary>
internal static class OptionValues
{
    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/> (<paramref name="unit"/> ends the range message).</summary>
    public static Option<int> InRange(this Option<int> option, int min, int max, string? unit = null)
    {
        var range = $"{min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}{(unit is null ? "" : " " + unit)}";
        option.CustomParser = result => ParseInt(result, option, value => value >= min && value <= max, $"{option.Name} must be between {range}.");
        return option;
    }

    /// <summary>A whole number among <paramref name="values"/>.</summary>
    public static Option<int> OneOf(this Option<int> option, params int[] values)
    {
        var list = Or(values.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray());
        option.CustomParser = result => ParseInt(result, option, values.Contains, $"{option.Name} must be {list}, not '{Last(result)}'.");
        return option;
    }

    /// <summary>Any whole number that fits in 32 bits.</summary>
    public static Option<int> AnyInt(this Option<int> option)
    {
        option.CustomParser = result => ParseInt(result, option, _ => true, "");
        return option;
    }

    /// <summary>A number from <paramref name="min"/> to <paramref name="max"/>, written with a '.' as the decimal point.</summary>
    public static Option<double> InRange(this Option<double> option, double min, double max)
    {
        option.CustomParser = result =>
        {
            var token = Last(result);
            if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                result.AddError($"{option.Name} must be a number, not '{token}'.");
                return default;
            }

            if (value < min || value > max)
            {
                result.AddError($"{option.Name} must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}.");
                return default;
            }

            return value;
        };
        return option;
    }

    /// <summary>One of the enum's names, in any case; help and completion list them in lower case.</summary>
    public static Option<TEnum> Named<TEnum>(this Option<TEnum> option)
        where TEnum : struct, Enum
    {
        var names = Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()).ToArray();
        option.HelpName = string.Join('|', names);
        option.CompletionSources.Add(_ => names);
        option.CustomParser = result =>
        {
            var token = Last(result);
            if (names.Contains(token, StringComparer.OrdinalIgnoreCase) && Enum.TryParse<TEnum>(token, ignoreCase: true, out var value))
            {
                return value;
            }

            result.AddError($"{option.Name} must be {Or(names)}, not '{token}'.");
            return default;
        };
        return option;
    }

    /// <summary>"a, b or c".</summary>
    public static string Or(IReadOnlyList<string> values) =>
        values.Count <= 1 ? string.Concat(values) : string.Join(", ", values.Take(values.Count - 1)) + " or " + values[^1];

    private static int ParseInt(ArgumentResult result, Option option, Func<int, bool> accept, string refusal)
    {
        var token = Last(result);
        if (!int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            result.AddError($"{option.Name} must be a whole number, not '{token}'.");
            return default;
        }

        if (!accept(value))
        {
            result.AddError(refusal);
            return default;
        }

        return value;
    }

    /// <summary>The option's value as given (the last one, when it was given more than once), or "".</summary>
    public static string Last(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
}
