namespace PersonaOps.Core.Manifests;

/// <summary>A manifest file as the edge read it: a display path (relative to the project root) and its bytes.</summary>
public sealed record SourceFile(string Path, ReadOnlyMemory<byte> Content);
