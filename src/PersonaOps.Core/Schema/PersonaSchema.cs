using System.Reflection;
using NJsonSchema;

namespace PersonaOps.Core.Schema;

/// <summary>
/// The manifest schema (<c>schemas/persona/v1/persona.schema.json</c>, embedded in this assembly so the
/// core reads no files), parsed once. It validates manifests and, through its annotations, tells the rest
/// of PersonaOps how to treat each field.
/// </summary>
public sealed class PersonaSchema
{
    private const string ResourceName = "PersonaOps.Schemas.persona.v1.json";

    private static readonly Lazy<PersonaSchema> Instance = new(Load);

    private PersonaSchema(JsonSchema root, string text)
    {
        Root = root;
        Text = text;
    }

    /// <summary>The schema of the personaops/v1 manifest format.</summary>
    public static PersonaSchema V1 => Instance.Value;

    public JsonSchema Root { get; }

    /// <summary>The schema's JSON text, as published in schemas/.</summary>
    public string Text { get; }

    /// <summary>The manifest's <c>spec</c>, the Tavus persona body, with its annotations.</summary>
    public SchemaField Spec => _spec ??= new(Root.ActualProperties["spec"]);

    private SchemaField? _spec;

    private static PersonaSchema Load()
    {
        using var stream = typeof(PersonaSchema).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the embedded schema {ResourceName} is missing from {typeof(PersonaSchema).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();

        // No $ref leaves the document, so nothing is resolved from files or the network.
        var schema = JsonSchema.FromJsonAsync(text).GetAwaiter().GetResult();
        return new PersonaSchema(schema, text);
    }

    internal static Assembly Assembly => typeof(PersonaSchema).Assembly;
}
