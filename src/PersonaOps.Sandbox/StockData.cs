namespace PersonaOps.Sandbox;

/// <summary>Tavus's stock replicas and personas, as its documentation lists them.</summary>
internal static class StockData
{
    /// <summary>
    /// The stock replicas with the Phoenix model each was trained on. The docs name "Anna - Casual" a
    /// phoenix-4.5 replica; the model of the others is not documented, and the sandbox gives them phoenix-3,
    /// the model of Tavus's stock replicas before phoenix-4.
    /// </summary>
    public static readonly (string Id, string Name, string Model)[] Replicas =
    [
        ("r665388ec672", "Stock replica (Tavus FAQ)", "phoenix-3"),
        ("rf4703150052", "Stock replica (Tavus FAQ)", "phoenix-3"),
        ("r7bc3db0d581", "Sabrina", "phoenix-3"),
        ("rf25acd9e3f5", "Patrick", "phoenix-3"),
        ("re0eae1fbe11", "Lucy", "phoenix-3"),
        ("r1af76e94d00", "Rose", "phoenix-3"),
        ("r95fd27b5a37", "Helen", "phoenix-3"),
        ("r1a4e22fa0d9", "Benjamin", "phoenix-3"),
        ("r90105daccb4", "Isabella", "phoenix-3"),
        ("r6ae5b6efc9d", "Anna", "phoenix-3"),
        ("rb11617de314", "Sandra", "phoenix-3"),
        ("rb67667672ad", "Gloria", "phoenix-3"),
        ("r90bbd427f71", "Anna - Professional", "phoenix-3"),
        ("rc9cff32ceba", "Anna - Casual", "phoenix-4.5"),
    ];

    /// <summary>The model of a replica created without model_name: phoenix-4, Tavus's documented default.</summary>
    public const string DefaultReplicaModel = "phoenix-4";

    /// <summary>The model a replica was trained on: its stock entry's, else the default.</summary>
    public static string ModelOf(string replicaId) =>
        Replicas.FirstOrDefault(r => r.Id == replicaId).Model ?? DefaultReplicaModel;

    public static readonly (string Id, string Name, string Prompt)[] Personas =
    [
        ("p1af207b8189", "Sales Coach", "You are a sales coach who helps people practise discovery calls."),
        ("paaee96e4f87", "Customer Support", "You are a friendly customer support agent."),
        ("pdac61133ac5", "Interviewer", "You are a structured, fair job interviewer."),
        ("pcb7a34da5fe", "Anna", "You are Anna, a sales development representative."),
    ];
}
