using System.Text.Json.Nodes;
using NJsonSchema;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Core.Schema;

/// <summary>How the diff compares a field (the <c>x-personaops-compare</c> annotation).</summary>
public enum CompareMode
{
    Value,

    /// <summary>An array compared as a set (tools matched by <c>x-personaops-key</c>).</summary>
    Set,

    /// <summary>Prose: in a plan, diffed word by word even when short (by line when it spans lines).</summary>
    Text,
}

/// <summary>A deprecated field: when, what replaced it, and what to do.</summary>
public sealed record Deprecation(string? Since, string? Replacement, string Message);

/// <summary>
/// What the schema says about one location in a manifest: its schema plus the PersonaOps annotations,
/// read from the property that refers to a definition and from the definition itself.
/// </summary>
public sealed class SchemaField
{
    private readonly JsonSchema _declared;

    // NJsonSchema computes ActualProperties afresh on every call; the diff asks for members of the same few
    // fields once per persona, so each field keeps its members and flags once computed.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SchemaField?> _members = new(StringComparer.Ordinal);
    private readonly Lazy<IReadOnlyDictionary<string, JsonSchemaProperty>> _properties;
    private readonly Lazy<SchemaField?> _additional;
    private readonly Lazy<SchemaField?> _items;
    private readonly Lazy<Deprecation?> _deprecation;
    private readonly Lazy<IReadOnlyDictionary<string, string>> _deprecatedValues;
    private readonly Lazy<JsonNode?> _defaultJson;
    private readonly Lazy<(bool ReadOnly, bool WriteOnly, bool ServerDefault, CompareMode Compare, string? SetKey, bool Structured)> _flags;

    internal SchemaField(JsonSchema declared)
    {
        _declared = declared;
        Schema = declared.ActualSchema;
        _properties = new(() => Schema.ActualProperties.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
        _additional = new(() => Schema.AdditionalPropertiesSchema is { } additional ? new SchemaField(additional) : null);
        _items = new(() => Schema.Item is { } item ? new SchemaField(item) : null);
        _defaultJson = new(() => ToJson(Default));
        _deprecation = new(() => Annotation("x-personaops-deprecated") is IDictionary<string, object?> d
            ? new Deprecation(d.TryGetValue("since", out var s) ? s?.ToString() : null, d.TryGetValue("replacement", out var r) ? r?.ToString() : null,
                d.TryGetValue("message", out var m) ? m?.ToString() ?? "deprecated" : "deprecated")
            : null);
        _deprecatedValues = new(() => Annotation("x-personaops-deprecated-values") is IDictionary<string, object?> d
            ? d.ToDictionary(p => p.Key, p => p.Value?.ToString() ?? "", StringComparer.Ordinal)
            : EmptyValues);
        _flags = new(() => (
            (_declared as JsonSchemaProperty)?.IsReadOnly == true || Flag("readOnly"),
            (_declared as JsonSchemaProperty)?.IsWriteOnly == true || Flag("writeOnly"),
            Flag("x-personaops-server-default"),
            Annotation("x-personaops-compare") switch
            {
                "set" => CompareMode.Set,
                "text" => CompareMode.Text,
                _ => CompareMode.Value,
            },
            Annotation("x-personaops-key") as string,
            _properties.Value.Count > 0 || _additional.Value?.IsWriteOnly == true));
    }

    /// <summary>The resolved schema (references followed).</summary>
    public JsonSchema Schema { get; }

    public bool IsReadOnly => _flags.Value.ReadOnly;

    public bool IsWriteOnly => _flags.Value.WriteOnly;

    /// <summary>The field's default (Tavus's value when it is absent), or null when it has none.</summary>
    public object? Default => _declared.Default ?? Schema.Default;

    /// <summary>
    /// The field's default as JSON, or null when it has none: the one conversion of the schema's
    /// <c>default</c> (which NJsonSchema reads as a CLR value or a Newtonsoft token) into a JsonNode. Each
    /// call returns a new node, free to be attached to a document.
    /// </summary>
    public JsonNode? DefaultJson => _defaultJson.Value?.DeepClone();

    /// <summary>True when <paramref name="value"/> equals the field's default: Tavus treats it as absent and omits it on read-back.</summary>
    public bool IsDefault(JsonNode? value) => value is not null && _defaultJson.Value is { } defaultValue && JsonEquality.DeepEquals(value, defaultValue);

    /// <summary>True for fields whose default Tavus chooses and changes over time (llm.model, ...).</summary>
    public bool IsServerDefault => _flags.Value.ServerDefault;

    public CompareMode Compare => _flags.Value.Compare;

    /// <summary>For set arrays: the JSON Pointer inside an item that identifies it.</summary>
    public string? SetKey => _flags.Value.SetKey;

    public Deprecation? Deprecation => _deprecation.Value;

    /// <summary>Values still accepted but deprecated or removed by Tavus, each with what to use instead.</summary>
    public IReadOnlyDictionary<string, string> DeprecatedValues => _deprecatedValues.Value;

    public int? MaxLengthWarning => Annotation("x-personaops-max-length-warning") is { } v and (long or int) ? Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture) : null;

    public string? MaxLengthReason => Annotation("x-personaops-max-length-reason") as string;

    public string? PatternMessage => Annotation("x-personaops-pattern-message") as string;

    /// <summary>The known member names of an object field, for suggestions.</summary>
    public IReadOnlyCollection<string> PropertyNames => _properties.Value.Keys.ToArray();

    /// <summary>The number of members the field declares.</summary>
    public int PropertyCount => _properties.Value.Count;

    /// <summary>The schema of member <paramref name="name"/> of this object field, or null if it allows none.</summary>
    public SchemaField? Member(string name) =>
        _members.GetOrAdd(name, static (key, field) => field._properties.Value.TryGetValue(key, out var property) ? new SchemaField(property) : field._additional.Value, this);

    /// <summary>
    /// True for an object the diff compares member by member: one that declares properties, or a map whose
    /// values are secrets (llm.headers), so that each secret is compared, masked and bound on its own.
    /// </summary>
    public bool IsStructured => _flags.Value.Structured;

    /// <summary>The schema of this array field's items, or null.</summary>
    public SchemaField? Items => _items.Value;

    private static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        double d => JsonValue.Create(d),
        decimal m => JsonValue.Create(m),
        Newtonsoft.Json.Linq.JToken token => JsonNode.Parse(token.ToString(Newtonsoft.Json.Formatting.None)),
        _ => throw new InvalidOperationException($"the schema's default {value} is a {value.GetType().Name}, which PersonaOps cannot read as JSON"),
    };

    private static readonly IReadOnlyDictionary<string, string> EmptyValues = new Dictionary<string, string>();

    private object? Annotation(string name) =>
        _declared.ExtensionData is { } own && own.TryGetValue(name, out var value) ? value
        : Schema.ExtensionData is { } actual && actual.TryGetValue(name, out value) ? value
        : null;

    private bool Flag(string name) => Annotation(name) is true;
}
