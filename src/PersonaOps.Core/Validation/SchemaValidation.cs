using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;
using PersonaOps.Core.Diagnostics;
using PersonaOps.Core.JsonPatch;
using PersonaOps.Core.Manifests;
using PersonaOps.Core.Schema;

namespace PersonaOps.Core.Validation;

/// <summary>
/// JSON Schema validation with NJsonSchema, its errors turned into positioned diagnostics. NJsonSchema
/// works on Newtonsoft tokens; each token is mapped back to its JSON Pointer and from there to its line
/// and column. NJsonSchema skips some keywords (const, if/then/else, ...): the schema avoids them and
/// <see cref="SemanticChecks"/> checks in code what the schema cannot say.
/// </summary>
internal static class SchemaValidation
{
    /// <summary>One schema error: where (a JSON Pointer), whether it is an unknown field, and what.</summary>
    public sealed record SchemaError(string Pointer, bool IsUnknownField, string Message);

    public static void Validate(string file, JsonNode? document, SourceMap map, KindSchema schema, List<Diagnostic> diagnostics, string whole = "the manifest")
    {
        var errors = Errors(document, schema.Root);

        // A value of the wrong type is also outside its enumeration: say the first, not both.
        var wrongType = errors.Where(e => IsTypeError(e.Error.Kind)).Select(e => e.Pointer).ToHashSet(StringComparer.Ordinal);
        foreach (var (error, pointer) in errors)
        {
            if (error.Kind != ValidationErrorKind.NotInEnumeration || !wrongType.Contains(pointer))
            {
                diagnostics.Add(Describe(file, error, pointer, map, whole));
            }
        }
    }

    /// <summary>Validates any JSON against <paramref name="schema"/>: each error with the JSON Pointer of its value and a message.</summary>
    public static IReadOnlyList<SchemaError> ValidateAgainst(JsonNode? document, JsonSchema schema)
    {
        var map = new SourceMap(SourcePosition.Start);
        return Errors(document, schema)
            .Select(e => new SchemaError(e.Pointer, e.Error.Kind == ValidationErrorKind.NoAdditionalPropertiesAllowed, Describe("", e.Error, e.Pointer, map).Message))
            .ToArray();
    }

    private static List<(ValidationError Error, string Pointer)> Errors(JsonNode? document, JsonSchema schema)
    {
        var pointers = new Dictionary<JToken, string>(ReferenceEqualityComparer.Instance);
        var token = ToToken(document, "", pointers);
        var errors = new List<ValidationError>();
        Flatten(new JsonSchemaValidator().Validate(token, schema), errors);
        return errors.Select(e => (e, e.Token is { } t && pointers.TryGetValue(t, out var p) ? p : "")).ToList();
    }

    private static void Flatten(IEnumerable<ValidationError> errors, List<ValidationError> into)
    {
        foreach (var error in errors)
        {
            if (error is ChildSchemaValidationError child)
            {
                Flatten(child.Errors.SelectMany(e => e.Value), into);
            }
            else
            {
                into.Add(error);
            }
        }
    }

    private static bool IsTypeError(ValidationErrorKind kind) => kind is ValidationErrorKind.StringExpected or ValidationErrorKind.NumberExpected
        or ValidationErrorKind.IntegerExpected or ValidationErrorKind.BooleanExpected or ValidationErrorKind.ObjectExpected
        or ValidationErrorKind.ArrayExpected or ValidationErrorKind.NullExpected;

    private static Diagnostic Describe(string file, ValidationError error, string pointer, SourceMap map, string whole = "the manifest")
    {
        var field = new SchemaField(error.Schema ?? new JsonSchema());
        var where = FieldPath.Display(pointer);
        var found = error.Token is not { } token ? "nothing"
            : field.IsWriteOnly ? Found(token).Split(' ')[0] + " " + Found(token).Split(' ')[1] // never show a secret's value
            : Found(token);
        switch (error.Kind)
        {
            case ValidationErrorKind.PropertyRequired:
            {
                var parent = pointer.Length == 0 ? whole : where;
                return DiagnosticCatalog.RequiredProperty.At(file, map.ValueAt(pointer), $"'{error.Property}' is required in {parent}.");
            }

            case ValidationErrorKind.NoAdditionalPropertiesAllowed:
            {
                var child = pointer.EndsWith("/" + JsonPointer.Escape(error.Property ?? ""), StringComparison.Ordinal)
                    ? pointer
                    : pointer + "/" + JsonPointer.Escape(error.Property ?? "");
                var parent = JsonPointer.Parse(child).Parent;
                var known = error.Schema?.ActualProperties.Keys.ToArray() ?? [];
                var suggestion = Suggestions.Nearest(error.Property ?? "", known);
                var hint = suggestion is not null
                    ? $"; did you mean '{suggestion}'?"
                    : known.Length > 0 ? $". Known fields: {string.Join(", ", known.Order(StringComparer.Ordinal))}." : ".";
                var container = parent.IsRoot ? whole : FieldPath.Display(parent);
                return DiagnosticCatalog.UnknownProperty.At(file, map.KeyAt(child), $"unknown field '{error.Property}' in {container}{hint}");
            }

            case var kind when IsTypeError(kind):
            {
                var expected = ExpectedTypes(error.Schema?.Type ?? JsonObjectType.None, error.Kind);
                var hint = error.Kind == ValidationErrorKind.BooleanExpected && error.Token?.Type == JTokenType.String
                    ? " Write true or false without quotes (YAML's yes/no/on/off are strings)."
                    : "";
                var subject = pointer.Length == 0 ? "the document" : where;
                return DiagnosticCatalog.WrongType.At(file, map.ValueAt(pointer), $"{subject} must be {expected}, but is {found}.{hint}");
            }

            case ValidationErrorKind.NotInEnumeration:
            {
                var allowed = error.Schema?.Enumeration.Select(e => e?.ToString() ?? "null").ToArray() ?? [];
                var value = error.Token?.Type == JTokenType.String ? error.Token.Value<string>() ?? "" : found;
                var suggestion = Suggestions.Nearest(value, allowed);
                var hint = suggestion is not null ? $"; did you mean '{suggestion}'?" : ".";
                return DiagnosticCatalog.NotInEnum.At(file, map.ValueAt(pointer),
                    $"{where} is '{value}', which is not one of: {string.Join(", ", allowed)}{hint}");
            }

            case ValidationErrorKind.PatternMismatch:
                return DiagnosticCatalog.PatternMismatch.At(file, map.ValueAt(pointer),
                    $"{where} {field.PatternMessage ?? $"must match the pattern {error.Schema?.Pattern}"}, but is {found}.");

            case ValidationErrorKind.StringTooShort:
                return DiagnosticCatalog.OutOfRange.At(file, map.ValueAt(pointer),
                    $"{where} must be at least {error.Schema?.MinLength} character(s) long; remove the field or give it a value.");

            case ValidationErrorKind.StringTooLong:
                return DiagnosticCatalog.OutOfRange.At(file, map.ValueAt(pointer), $"{where} must be at most {error.Schema?.MaxLength} characters long.");

            case ValidationErrorKind.NumberTooSmall:
                return DiagnosticCatalog.OutOfRange.At(file, map.ValueAt(pointer), $"{where} is {found}, below the minimum {error.Schema?.Minimum}.");

            case ValidationErrorKind.NumberTooBig:
                return DiagnosticCatalog.OutOfRange.At(file, map.ValueAt(pointer), $"{where} is {found}, above the maximum {error.Schema?.Maximum}.");

            case ValidationErrorKind.TooManyItems:
                return DiagnosticCatalog.ArrayInvalid.At(file, map.ValueAt(pointer), $"{where} has {(error.Token as JArray)?.Count} items; Tavus allows at most {error.Schema?.MaxItems}.");

            case ValidationErrorKind.TooFewItems:
                return DiagnosticCatalog.ArrayInvalid.At(file, map.ValueAt(pointer), $"{where} needs at least {error.Schema?.MinItems} items.");

            case ValidationErrorKind.ItemsNotUnique:
                return DiagnosticCatalog.ArrayInvalid.At(file, map.ValueAt(pointer), $"{where} lists the same item more than once.");

            default:
                return DiagnosticCatalog.SchemaOther.At(file, map.ValueAt(pointer), $"{where}: {error.Kind}.");
        }
    }

    private static string ExpectedTypes(JsonObjectType type, ValidationErrorKind kind)
    {
        var names = new List<string>();
        if (type.HasFlag(JsonObjectType.String)) names.Add("a string");
        if (type.HasFlag(JsonObjectType.Number)) names.Add("a number");
        if (type.HasFlag(JsonObjectType.Integer)) names.Add("an integer");
        if (type.HasFlag(JsonObjectType.Boolean)) names.Add("true or false");
        if (type.HasFlag(JsonObjectType.Object)) names.Add("a mapping");
        if (type.HasFlag(JsonObjectType.Array)) names.Add("a list");
        if (type.HasFlag(JsonObjectType.Null)) names.Add("null");
        if (names.Count == 0)
        {
            names.Add(kind switch
            {
                ValidationErrorKind.StringExpected => "a string",
                ValidationErrorKind.NumberExpected => "a number",
                ValidationErrorKind.IntegerExpected => "an integer",
                ValidationErrorKind.BooleanExpected => "true or false",
                ValidationErrorKind.ObjectExpected => "a mapping",
                ValidationErrorKind.ArrayExpected => "a list",
                _ => "null",
            });
        }

        return names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[^1];
    }

    /// <summary>What a value is, for messages. Strings are quoted and shortened, a URL's credentials stripped first; nothing secret reaches here unchecked, as secrets are strings validated only for type.</summary>
    private static string Found(JToken token) => token.Type switch
    {
        JTokenType.Object => "a mapping",
        JTokenType.Array => "a list",
        JTokenType.String => $"the string '{Shorten(Manifests.UrlCredentials.Strip(token.Value<string>() ?? ""))}'",
        JTokenType.Integer or JTokenType.Float => $"the number {token.ToString(Newtonsoft.Json.Formatting.None)}",
        JTokenType.Boolean => $"the boolean {token.ToString(Newtonsoft.Json.Formatting.None)}",
        JTokenType.Null => "null (empty)",
        _ => token.Type.ToString().ToLowerInvariant(),
    };

    private static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length > 40 ? line[..40] + "…" : line;
    }

    private static JToken ToToken(JsonNode? node, string pointer, Dictionary<JToken, string> pointers)
    {
        JToken token;
        switch (node)
        {
            case null:
                token = JValue.CreateNull();
                break;
            case JsonObject obj:
            {
                var result = new JObject();
                foreach (var (key, value) in obj)
                {
                    var child = pointer + "/" + JsonPointer.Escape(key);
                    var property = new JProperty(key, ToToken(value, child, pointers));
                    pointers[property] = child;
                    result.Add(property);
                }

                token = result;
                break;
            }

            case JsonArray array:
            {
                var result = new JArray();
                for (var i = 0; i < array.Count; i++)
                {
                    result.Add(ToToken(array[i], pointer + "/" + i.ToString(CultureInfo.InvariantCulture), pointers));
                }

                token = result;
                break;
            }

            default:
            {
                var value = node.AsValue();
                token = value.GetValueKind() switch
                {
                    JsonValueKind.String => new JValue(value.GetValue<string>()),
                    JsonValueKind.True => new JValue(true),
                    JsonValueKind.False => new JValue(false),
                    JsonValueKind.Number when value.TryGetValue<long>(out var l) => new JValue(l),
                    JsonValueKind.Number when decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d) && Math.Abs(d) < long.MaxValue => new JValue((long)d),
                    JsonValueKind.Number => new JValue(double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)),
                    _ => JValue.CreateNull(),
                };
                break;
            }
        }

        pointers[token] = pointer;
        return token;
    }
}
