using System.Reflection;
using NJsonSchema;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Core.Schema;

/// <summary>
/// The manifest schema of one resource kind, parsed once. It validates manifests and, through its
/// annotations, tells the rest of PersonaOps how to treat each field. The persona kind's schema
/// (<c>schemas/persona/v1/persona.schema.json</c>) is embedded in this assembly, so the core reads no files;
/// another kind hands its schema's text to <see cref="FromJson"/>.
/// </summary>
public sealed class KindSchema
{
    private const string PersonaResource = "PersonaOps.Schemas.persona.v1.json";

    private static readonly Lazy<KindSchema> PersonaInstance = new(() => FromJson(ReadResource(PersonaResource)));

    private KindSchema(JsonSchema root, string text)
    {
        Root = root;
        Text = text;
    }

    private static readonly Lazy<KindSchema> ProjectInstance = new(() => FromJson(ReadResource("PersonaOps.Schemas.project.v1.json")));

    /// <summary>The schema of the project file, personaops.yaml (<c>schemas/project/v1/project.schema.json</c>); not a kind, it has no spec.</summary>
    public static KindSchema Project => ProjectInstance.Value;

    /// <summary>The schema of the personaops/v1 persona manifest.</summary>
    public static KindSchema Persona => PersonaInstance.Value;

    public JsonSchema Root { get; }

    /// <summary>The schema's JSON text, as published in schemas/.</summary>
    public string Text { get; }

    /// <summary>The manifest's <c>spec</c>, the resource's API body, with its annotations.</summary>
    public SchemaField Spec => _spec ??= new(Root.ActualProperties["spec"]);

    private SchemaField? _spec;

    /// <summary>What the schema says of the value at <paramref name="pointer"/> in spec (array indexes step into items), or null.</summary>
    public SchemaField? At(JsonPointer pointer)
    {
        SchemaField? field = Spec;
        foreach (var token in pointer.Tokens)
        {
            field = JsonPointer.TryParseIndex(token, out _) && field?.Items is { } items ? items : field?.Member(token);
        }

        return field;
    }

    /// <summary>A kind's schema from its text. No <c>$ref</c> may leave the document: nothing is resolved from files or the network.</summary>
    public static KindSchema FromJson(string text) => new(JsonSchema.FromJsonAsync(text).GetAwaiter().GetResult(), text);

    private static string ReadResource(string name)
    {
        using var stream = typeof(KindSchema).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the embedded schema {name} is missing from {typeof(KindSchema).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    internal static Assembly Assembly => typeof(KindSchema).Assembly;
}
