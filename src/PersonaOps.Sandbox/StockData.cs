namespace PersonaOps.Sandbox;

/// <summary>Tavus's stock replicas and personas, as its documentation lists them.</summary>
internal static class StockData
{
    public static readonly (string Id, string Name)[] Replicas =
    [
        ("r665388ec672", "Stock replica (Tavus FAQ)"),
        ("rf4703150052", "Stock replica (Tavus FAQ)"),
        ("r7bc3db0d581", "Sabrina"),
        ("rf25acd9e3f5", "Patrick"),
        ("re0eae1fbe11", "Lucy"),
        ("r1af76e94d00", "Rose"),
        ("r95fd27b5a37", "Helen"),
        ("r1a4e22fa0d9", "Benjamin"),
        ("r90105daccb4", "Isabella"),
        ("r6ae5b6efc9d", "Anna"),
        ("rb11617de314", "Sandra"),
        ("rb67667672ad", "Gloria"),
        ("r90bbd427f71", "Anna - Professional"),
        ("rc9cff32ceba", "Anna - Casual"),
    ];

    public static readonly (string Id, string Name, string Prompt)[] Personas =
    [
        ("p1af207b8189", "Sales Coach", "You are a sales coach who helps people practise discovery calls."),
        ("paaee96e4f87", "Customer Support", "You are a friendly customer support agent."),
        ("pdac61133ac5", "Interviewer", "You are a structured, fair job interviewer."),
        ("pcb7a34da5fe", "Anna", "You are Anna, a sales development representative."),
    ];
}
