using System.Text.Json;

namespace PersonaOps.Core.JsonPatch;

/// <summary>What makes a JSON text that parses unfit to read.</summary>
public enum JsonDefectKind
{
    /// <summary>More values than the reader's limit.</summary>
    TooManyValues,

    /// <summary>An object with one key twice: which value is meant cannot be known (System.Text.Json throws on it when read).</summary>
    DuplicateKey,

    /// <summary>A string or key that is not Unicode: an escaped lone surrogate, or bytes that are not UTF-8.</summary>
    NotUnicode,
}

/// <summary>A defect, and where it is, said for people (<c>holds the key 'model' twice in one object (at data[0].layers.llm)</c>).</summary>
public sealed record JsonDefect(JsonDefectKind Kind, string Description);

/// <summary>
/// Finds, in one pass of the reader and without building anything, what would make a parsed JSON text
/// fail later, far from where it was read: too many values, a key twice in one object, text that is not
/// Unicode. Every JSON text PersonaOps reads from outside (an API's answer, a plan file) is scanned first.
/// </summary>
public static class JsonDefects
{
    /// <summary>The longest key quoted in a description; a longer one is cut.</summary>
    private const int ShownKeyLength = 60;

    /// <summary>The first defect of <paramref name="utf8"/>, or null. Malformed JSON throws <see cref="JsonException"/>, as parsing does.</summary>
    public static JsonDefect? Find(ReadOnlySpan<byte> utf8, int maxValues = int.MaxValue, int maxDepth = 64)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = maxDepth });
        var frames = new List<Frame>();
        var values = 0;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.Comment:
                    continue;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    frames.RemoveAt(frames.Count - 1);
                    continue;
                case JsonTokenType.PropertyName:
                {
                    var frame = frames[^1];
                    if (!TryText(ref reader, out var name))
                    {
                        return new JsonDefect(JsonDefectKind.NotUnicode, $"text that is not valid Unicode at {Where(frames, keyOfLast: false)} (in a key: a lone surrogate, half of a character, or bytes that are not UTF-8)");
                    }

                    if (!frame.Names!.Add(name))
                    {
                        return new JsonDefect(JsonDefectKind.DuplicateKey, $"JSON that holds the key '{Shown(name)}' twice in one object (at {Where(frames, keyOfLast: false)}), so which value is meant cannot be known");
                    }

                    frame.Name = name;
                    continue;
                }
            }

            if (++values > maxValues)
            {
                return new JsonDefect(JsonDefectKind.TooManyValues, $"more than {maxValues} JSON values");
            }

            if (frames.Count > 0 && !frames[^1].IsObject)
            {
                frames[^1].Index++;
            }

            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    frames.Add(new Frame(IsObject: true) { Names = new HashSet<string>(StringComparer.Ordinal) });
                    break;
                case JsonTokenType.StartArray:
                    frames.Add(new Frame(IsObject: false));
                    break;
                case JsonTokenType.String when !TryText(ref reader, out _):
                    return new JsonDefect(JsonDefectKind.NotUnicode, $"text that is not valid Unicode at {Where(frames, keyOfLast: true)} (a lone surrogate, half of a character, or bytes that are not UTF-8)");
            }
        }

        return null;
    }

    /// <summary>The text of the current string or key; false when it is not Unicode.</summary>
    private static bool TryText(ref Utf8JsonReader reader, out string text)
    {
        try
        {
            text = reader.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }

    /// <summary>The path of the value being read (<paramref name="keyOfLast"/>: with the last object's current key) as people read it.</summary>
    private static string Where(List<Frame> frames, bool keyOfLast)
    {
        var tokens = new List<string>();
        for (var i = 0; i < frames.Count; i++)
        {
            var frame = frames[i];
            if (!frame.IsObject)
            {
                tokens.Add(frame.Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            else if ((i < frames.Count - 1 || keyOfLast) && frame.Name is { } name)
            {
                tokens.Add(Shown(name));
            }
        }

        return tokens.Count == 0 ? "the root" : Validation.FieldPath.Display(JsonPointer.FromTokens(tokens));
    }

    /// <summary>A key as a message quotes it: controls shown escaped, and cut when long.</summary>
    private static string Shown(string key) =>
        Rendering.TextEscape.Control(key.Length > ShownKeyLength ? key[..ShownKeyLength] + "…" : key);

    private sealed class Frame(bool IsObject)
    {
        public bool IsObject { get; } = IsObject;

        public HashSet<string>? Names { get; init; }

        public string? Name { get; set; }

        public int Index { get; set; } = -1;
    }
}
