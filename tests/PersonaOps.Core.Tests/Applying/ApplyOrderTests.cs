using PersonaOps.Core.Applying;
using static PersonaOps.Core.Tests.Applying.ApplyData;

namespace PersonaOps.Core.Tests.Applying;

/// <summary>The work starts in one order, whatever order the manifests came in: make before break.</summary>
public sealed class ApplyOrderTests
{
    [Fact]
    public void CreatesThenUpdatesThenDeletes_EachByAddress_NoOpsLast()
    {
        var live = Live("p-1", "One");
        var personas = new[]
        {
            NoOp("n", live), Delete("b-old", live), Update("z", live, "[]"), Create("m", "M"), Delete("a-old", live), Create("c", "C"), Update("a", live, "[]"),
        };

        ApplyOrder.Order(personas).Select(p => p.Name).ShouldBe(["c", "m", "a", "z", "a-old", "b-old", "n"]);
    }

    [Fact]
    public void TheOrder_DoesNotDependOnTheOrderOfTheInput()
    {
        var live = Live("p-1", "One");
        var personas = new[] { Create("b", "B"), Create("a", "A"), Update("u", live, "[]"), Delete("d", live) };

        ApplyOrder.Order(personas).ShouldBe(ApplyOrder.Order(personas.Reverse()));
    }
}
