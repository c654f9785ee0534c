namespace PersonaOps.Core.Diagnostics;

/// <summary>A diagnostic's identity: its stable code, its severity and a short title.</summary>
public sealed record DiagnosticDescriptor(string Code, Severity Severity, string Title)
{
    /// <summary>A diagnostic at <paramref name="position"/> in <paramref name="file"/>, or in the file the position names (a value an overlay supplied).</summary>
    public Diagnostic At(string file, SourcePosition position, string message) => new(Code, Severity, position.File ?? file, position with { File = null }, message);
}

/// <summary>
/// The one catalogue of diagnostic codes. Codes are stable: users grep for them and scripts match them,
/// so a code is never reused for a different meaning. PO1xxx: reading files and YAML; PO2xxx: the
/// schema; PO3xxx: checks the schema cannot express; PO4xxx: warnings; PO5xxx: planning against the
/// account (identity); PO6xxx: the project file (personaops.yaml) and environments' overlays.
/// </summary>
public static class DiagnosticCatalog
{
    public static readonly DiagnosticDescriptor FileUnreadable = new("PO1001", Severity.Error, "The file cannot be read");
    public static readonly DiagnosticDescriptor FileTooLarge = new("PO1002", Severity.Error, "The file is larger than the limit");
    public static readonly DiagnosticDescriptor InvalidEncoding = new("PO1003", Severity.Error, "The file is not UTF-8 text");
    public static readonly DiagnosticDescriptor YamlSyntax = new("PO1004", Severity.Error, "YAML syntax error");
    public static readonly DiagnosticDescriptor DuplicateKey = new("PO1005", Severity.Error, "Duplicate mapping key");
    public static readonly DiagnosticDescriptor AliasExpansion = new("PO1006", Severity.Error, "YAML aliases expand too far");
    public static readonly DiagnosticDescriptor NestingTooDeep = new("PO1007", Severity.Error, "Nesting is too deep");
    public static readonly DiagnosticDescriptor EmptyFile = new("PO1008", Severity.Error, "The file holds no manifest");
    public static readonly DiagnosticDescriptor UnsupportedYaml = new("PO1009", Severity.Error, "Unsupported YAML construct");
    public static readonly DiagnosticDescriptor NoManifests = new("PO1010", Severity.Error, "No manifests found");
    public static readonly DiagnosticDescriptor PathNotFound = new("PO1011", Severity.Error, "Path not found");
    public static readonly DiagnosticDescriptor PathOutsideRoot = new("PO1012", Severity.Error, "Path leaves the manifest directory");
    public static readonly DiagnosticDescriptor NotARegularFile = new("PO1013", Severity.Error, "Not a regular file");

    public static readonly DiagnosticDescriptor SchemaOther = new("PO2000", Severity.Error, "Schema violation");
    public static readonly DiagnosticDescriptor RequiredProperty = new("PO2001", Severity.Error, "Required field missing");
    public static readonly DiagnosticDescriptor WrongType = new("PO2002", Severity.Error, "Wrong type");
    public static readonly DiagnosticDescriptor UnknownProperty = new("PO2003", Severity.Error, "Unknown field");
    public static readonly DiagnosticDescriptor NotInEnum = new("PO2004", Severity.Error, "Value not allowed");
    public static readonly DiagnosticDescriptor PatternMismatch = new("PO2005", Severity.Error, "Value has the wrong form");
    public static readonly DiagnosticDescriptor OutOfRange = new("PO2006", Severity.Error, "Value out of range");
    public static readonly DiagnosticDescriptor ArrayInvalid = new("PO2007", Severity.Error, "Array violates its limits");
    public static readonly DiagnosticDescriptor DuplicateItemKey = new("PO2008", Severity.Error, "Two items of a list share their key");

    public static readonly DiagnosticDescriptor SystemPromptRequired = new("PO3001", Severity.Error, "system_prompt required");
    public static readonly DiagnosticDescriptor DuplicateName = new("PO3003", Severity.Error, "Duplicate metadata.name");
    public static readonly DiagnosticDescriptor DuplicatePersonaName = new("PO3004", Severity.Error, "Duplicate spec.persona_name");
    public static readonly DiagnosticDescriptor LiteralSecret = new("PO3005", Severity.Error, "Literal secret");
    public static readonly DiagnosticDescriptor MalformedReference = new("PO3006", Severity.Error, "Malformed ${env:...} reference");
    public static readonly DiagnosticDescriptor MissingVariable = new("PO3007", Severity.Error, "Environment variable not set");
    public static readonly DiagnosticDescriptor InvalidPointer = new("PO3008", Severity.Error, "Invalid JSON Pointer");
    public static readonly DiagnosticDescriptor SpecRequired = new("PO3010", Severity.Error, "spec required");
    public static readonly DiagnosticDescriptor ServerOwnedField = new("PO3011", Severity.Error, "Server-owned field in spec");
    public static readonly DiagnosticDescriptor DuplicateId = new("PO3012", Severity.Error, "Duplicate metadata.id");
    public static readonly DiagnosticDescriptor Unidentifiable = new("PO3013", Severity.Error, "The manifest names no live resource to manage");
    public static readonly DiagnosticDescriptor SecretInPlainField = new("PO3014", Severity.Error, "A secret's variable in a field that is not secret");
    public static readonly DiagnosticDescriptor CredentialsInUrl = new("PO3015", Severity.Error, "Credentials in a URL");
    public static readonly DiagnosticDescriptor VariableInUntrusted = new("PO3016", Severity.Error, "A variable outside a secret field, in manifests planned as untrusted data");

    public static readonly DiagnosticDescriptor DeprecatedField = new("PO4001", Severity.Warning, "Deprecated field");
    public static readonly DiagnosticDescriptor DeprecatedValue = new("PO4002", Severity.Warning, "Deprecated value");
    public static readonly DiagnosticDescriptor LongText = new("PO4003", Severity.Warning, "Text beyond Tavus's documented limit");
    public static readonly DiagnosticDescriptor EmptyDocument = new("PO4004", Severity.Warning, "Empty YAML document");
    public static readonly DiagnosticDescriptor SkippedSpecialFile = new("PO4005", Severity.Warning, "Skipped: not a regular file");

    public static readonly DiagnosticDescriptor PlanningFailed = new("PO5000", Severity.Error, "The manifest cannot be planned");
    public static readonly DiagnosticDescriptor AmbiguousPersonaName = new("PO5001", Severity.Error, "Several live personas have this persona_name");
    public static readonly DiagnosticDescriptor UnknownId = new("PO5002", Severity.Error, "metadata.id is not a persona of the account");
    public static readonly DiagnosticDescriptor ClaimedTwice = new("PO5003", Severity.Error, "Two manifests manage one live persona");
    public static readonly DiagnosticDescriptor SecretChangedSincePlan = new("PO5004", Severity.Error, "A secret is not the one the plan was made with");
    public static readonly DiagnosticDescriptor PlanInconsistent = new("PO5005", Severity.Error, "The saved plan contradicts itself");

    public static readonly DiagnosticDescriptor ProjectInvalid = new("PO6001", Severity.Error, "The project file is not valid");
    public static readonly DiagnosticDescriptor OverlayWithoutBase = new("PO6002", Severity.Error, "An overlay names no base manifest");
    public static readonly DiagnosticDescriptor DuplicateOverlay = new("PO6003", Severity.Error, "Two overlays for one manifest in one environment");
    public static readonly DiagnosticDescriptor OverlayChangesIdentity = new("PO6004", Severity.Error, "An overlay changes apiVersion, kind or metadata.name");
    public static readonly DiagnosticDescriptor OverlayIncomplete = new("PO6005", Severity.Error, "An overlay does not say which manifest it changes");

    /// <summary>Every descriptor, for documentation and for tests that codes stay unique.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> All { get; } =
        typeof(DiagnosticCatalog).GetFields()
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToArray();
}
