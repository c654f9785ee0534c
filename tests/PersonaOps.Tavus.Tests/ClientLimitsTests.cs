using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PersonaOps.Core.JsonPatch;

namespace PersonaOps.Tavus.Tests;

/// <summary>
/// The client against a Tavus that misbehaves in ways that would make it hang, grow without bound or read
/// the wrong thing: bodies that never end, a Retry-After of a day, listings whose total_count lies or whose
/// pages ignore <c>page</c>, huge bodies, other envelopes, error reasons under other keys, a base path.
/// </summary>
public sealed class ClientLimitsTests
{
    private static readonly HashSet<string> NoIds = [];

    // ---- 1. the timeout bounds the whole exchange, body included ----

    [Fact]
    public async Task ABodyThatNeverEnds_IsBoundedByTheAttemptTimeout()
    {
        var handler = new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StreamContent(new EndlessStream(Encoding.UTF8.GetBytes("""{"data":["""))) { Headers = { ContentType = new("application/json") } },
        });
        var (client, owner) = TavusServices.CreateClient(Connection(handler) with { AttemptTimeout = TimeSpan.FromMilliseconds(300), MaxRetries = 1 });
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync().WaitAsync(TimeSpan.FromSeconds(60)));
            ex.Message.ShouldContain("no complete answer within the attempt timeout (0.3 s");
            handler.Requests.Count.ShouldBe(2, "a read is retried after a timed-out body like after a timed-out answer");
        }
    }

    [Fact]
    public async Task ABodyCutShort_IsATransportFailure_RetriedForAReadAndClear()
    {
        var handler = new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StreamContent(new BrokenStream(Encoding.UTF8.GetBytes("""{"data":["""))) { Headers = { ContentType = new("application/json") } },
        });
        var (client, owner) = TavusServices.CreateClient(Connection(handler) with { MaxRetries = 2 });
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync());
            ex.Message.ShouldStartWith("GET /v2/personas failed: the connection broke while the answer's body was read");
            handler.Requests.Count.ShouldBe(3, "a read whose body broke is retried like one whose connection dropped");
        }
    }

    [Fact]
    public async Task ACreateWhoseBodyIsCutShort_IsAnUnknownOutcome_SettledByListing_NotSentAgain()
    {
        var handler = new FakeHandler(request => request.Method == HttpMethod.Post
            ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new BrokenStream(Encoding.UTF8.GetBytes("""{"persona_id":"""))) }
            : Json(HttpStatusCode.OK, """{"data":[{"persona_id":"p9","persona_name":"Once"}],"total_count":1}"""));
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            var created = await client.CreatePersonaAsync(new JsonObject { ["persona_name"] = "Once" }, NoIds);
            created.ShouldBe(new CreatedPersona("p9", RecoveredAfterUnknownOutcome: true));
            handler.Requests.Count(r => r.StartsWith("POST", StringComparison.Ordinal)).ShouldBe(1);
        }
    }

    // ---- 2. Retry-After beyond the longest wait ----

    [Theory]
    [InlineData("86400")]
    [InlineData("date")]
    public async Task ARetryAfterLongerThanTheLongestWait_IsNotWaitedFor_AndSaysSo(string retryAfter)
    {
        var handler = new FakeHandler(_ =>
        {
            var response = Json(HttpStatusCode.TooManyRequests, """{"message":"slow down"}""");
            if (retryAfter == "date")
            {
                response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(DateTimeOffset.UtcNow.AddDays(1));
            }
            else
            {
                response.Headers.TryAddWithoutValidation("Retry-After", retryAfter);
            }

            return response;
        });
        var (client, owner) = TavusServices.CreateClient(Connection(handler) with { MaxRetries = 3, MaxDelay = TimeSpan.FromSeconds(30) });
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync().WaitAsync(TimeSpan.FromSeconds(60)));
            ex.Status.ShouldBe(429);
            ex.Message.ShouldContain("Retry-After");
            ex.Message.ShouldContain("longer than the 30 s");
            handler.Requests.Count.ShouldBe(1, "a wait longer than the longest back-off is not retried at all");
        }
    }

    [Fact]
    public async Task ARetryAfterWithinTheLongestWait_IsHonoured()
    {
        var calls = 0;
        var handler = new FakeHandler(_ =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                var limited = Json(HttpStatusCode.TooManyRequests, "{}");
                limited.Headers.TryAddWithoutValidation("Retry-After", "0");
                return limited;
            }

            return Json(HttpStatusCode.OK, """{"data":[],"total_count":0}""");
        });
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            (await client.ListUserPersonasAsync()).ShouldBeEmpty();
            handler.Requests.Count.ShouldBe(2);
        }
    }

    // ---- 3. the listing is bounded by what the pages prove ----

    /// <summary>An account of <paramref name="count"/> personas that pages honestly (or not), with the total_count given.</summary>
    private static FakeHandler Listing(int count, int? totalCount = null, bool ignorePage = false, int pageSize = 100) => new(request =>
    {
        var query = System.Web.HttpUtility.ParseQueryString(request.RequestUri!.Query);
        var page = ignorePage ? 1 : int.Parse(query["page"]!, System.Globalization.CultureInfo.InvariantCulture);
        var limit = int.Parse(query["limit"]!, System.Globalization.CultureInfo.InvariantCulture);
        limit.ShouldBe(pageSize);
        var data = new JsonArray();
        for (var i = (page - 1) * limit; i < Math.Min(count, page * limit); i++)
        {
            data.Add(new JsonObject { ["persona_id"] = $"p{i:D6}", ["persona_name"] = $"P{i}" });
        }

        return Json(HttpStatusCode.OK, new JsonObject { ["data"] = data, ["total_count"] = totalCount ?? count }.ToJsonString());
    });

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 1)]
    [InlineData(99, 1)]
    [InlineData(100, 2)] // the full last page is confirmed by an empty one
    [InlineData(250, 3)]
    [InlineData(1000, 11)]
    [InlineData(1001, 11)]
    public async Task AnHonestListing_IsReadWhole_InNoMoreRequestsThanItsPagesPlusOne(int count, int requests)
    {
        var handler = Listing(count);
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            (await client.ListUserPersonasAsync()).Count.ShouldBe(count);
            handler.Requests.Count.ShouldBe(requests);
        }
    }

    [Fact]
    public async Task ATotalCountThePagesCannotHold_IsRefused_AfterOneRequest()
    {
        // An official-spec mock: the same 3 example personas on every page, and a total_count of millions.
        var handler = Listing(3, totalCount: 3_730_664, ignorePage: true);
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync());
            ex.Message.ShouldContain("total_count is 3730664 but the list ends at page 1 with 3 personas");
            handler.Requests.Count.ShouldBe(1, "a short first page proves the end of the list");
        }
    }

    [Fact]
    public async Task AShortPage_EndsTheListing_WhateverTotalCountAnnounced()
    {
        var handler = Listing(250, totalCount: 3_730_664);
        var (client, owner) = TavusServices.CreateClient(Connection(handler) with { ListParallelism = 2 });
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync());
            ex.Message.ShouldContain("total_count is 3730664 but the list ends at page 3 with 250 personas");
            handler.Requests.Count.ShouldBeLessThanOrEqualTo(1 + 2 + 2, "pages are asked for at most ListParallelism beyond the short one");
        }
    }

    [Theory]
    [InlineData(3_730_664)]
    [InlineData(100)]
    public async Task AServerThatIgnoresPage_IsAnError_NotAnEndlessListing(int totalCount)
    {
        var handler = Listing(100, totalCount: totalCount, ignorePage: true);
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync());
            ex.Message.ShouldContain("repeats the personas of an earlier page");
            ex.Message.ShouldContain("ignores 'page'");
            handler.Requests.Count.ShouldBeLessThanOrEqualTo(1 + 8, "one page and at most ListParallelism more");
        }
    }

    [Fact]
    public async Task AFewRepeats_AreAListThatChanged_ReadAgainBeforeApply()
    {
        // Page 2 repeats page 1's last persona, as a list sorted newest first does when one is created meanwhile.
        var handler = new FakeHandler(request => Json(HttpStatusCode.OK, request.RequestUri!.Query.Contains("page=1", StringComparison.Ordinal)
            ? new JsonObject { ["data"] = new JsonArray([.. Enumerable.Range(0, 100).Select(i => (JsonNode)new JsonObject { ["persona_id"] = $"p{i:D3}" })]), ["total_count"] = 101 }.ToJsonString()
            : """{"data":[{"persona_id":"p099"}],"total_count":101}"""));
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync());
            ex.Message.ShouldContain("the persona list changed while it was read (page 2 repeats 1 persona(s) of another page)");
            var (seen, problem) = await client.ListUserPersonasSeenAsync();
            seen.Count.ShouldBe(100);
            problem.ShouldNotBeNull();
        }
    }

    [Fact]
    public async Task MorePersonasThanTotalCount_IsAnIncompleteListing_NotASilentCut()
    {
        var handler = Listing(150, totalCount: 100);
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync());
            ex.Message.ShouldContain("total_count is 100 but page 2 holds more");
            handler.Requests.Count.ShouldBe(2);
        }
    }

    [Theory]
    [InlineData("""{"data":[{"persona_name":"Coach"}],"total_count":1}""", "item 1 of page 1 has no persona_id")]
    [InlineData("""{"data":[{"persona_id":42,"persona_name":"Coach"}],"total_count":1}""", "item 1 of page 1 has no persona_id")]
    [InlineData("""{"data":[{"persona_id":""}],"total_count":1}""", "item 1 of page 1 has no persona_id")]
    [InlineData("""{"data":["p1"],"total_count":1}""", "item 1 of page 1 is not a persona object")]
    [InlineData("""{"data":[],"total_count":-1}""", "total_count -1")]
    public async Task AListingItemWithoutAReadableId_IsAnError_NotDropped(string body, string expected)
    {
        var handler = new FakeHandler(_ => Json(HttpStatusCode.OK, body));
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            (await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync())).Message.ShouldContain(expected);
        }
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("p1/../../v1")]
    [InlineData("p1?force=true")]
    [InlineData("")]
    public async Task AnIdThatIsNotAPersonaId_IsNeverPutInAPath(string id)
    {
        var handler = new FakeHandler(_ => Json(HttpStatusCode.OK, "{}"));
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            var patch = new JsonPatchDocument([PatchOperation.Replace(JsonPointer.Parse("/persona_name"), "B")]);
            (await Should.ThrowAsync<TavusApiException>(() => client.GetPersonaAsync(id))).Message.ShouldContain("is not a persona id");
            (await Should.ThrowAsync<TavusApiException>(() => client.PatchPersonaAsync(id, patch, force: false))).Message.ShouldContain("is not a persona id");
            (await Should.ThrowAsync<TavusApiException>(() => client.DeletePersonaAsync(id))).Message.ShouldContain("is not a persona id");
            handler.Requests.ShouldBeEmpty();
        }
    }

    [Fact]
    public async Task AListedPersonaWhoseIdIsNotAPersonaId_IsAnError()
    {
        var handler = new FakeHandler(_ => Json(HttpStatusCode.OK, """{"data":[{"persona_id":"..","persona_name":"Coach"}],"total_count":1}"""));
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            (await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync())).Message.ShouldContain("item 1 of page 1 has a persona_id ('..') that is not a persona id");
        }
    }

    // ---- 4. response bodies have a size limit ----

    [Fact]
    public void TheDefaultLimits_AreStated()
    {
        var connection = new TavusConnection { BaseAddress = new Uri("http://tavus.test"), ApiKey = "k" };
        connection.MaxResponseBytes.ShouldBe(16 * 1024 * 1024);
        connection.MaxErrorBodyBytes.ShouldBe(64 * 1024);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ABodyOverTheLimit_IsAClearError(bool declared)
    {
        var body = "{\"data\":[],\"total_count\":0,\"pad\":\"" + new string('x', 4096) + "\"}";
        var handler = new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = declared ? new StringContent(body, Encoding.UTF8, "application/json") : new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)), 1),
        });
        var (client, owner) = TavusServices.CreateClient(Connection(handler) with { MaxResponseBytes = 1024 });
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync());
            ex.Message.ShouldContain("GET /v2/personas answered 200 with a body larger than 1 KiB, the most PersonaOps reads from one answer");
            handler.Requests.Count.ShouldBe(1, "a body that is too large is not asked for again");
        }
    }

    [Fact]
    public void TheDefaultJsonValueLimit_IsStated() =>
        new TavusConnection { BaseAddress = new Uri("http://tavus.test"), ApiKey = "k" }.MaxJsonValues.ShouldBe(250_000);

    [Theory]
    [InlineData("page")]
    [InlineData("nested")]
    public async Task AnAnswerOfMillionsOfTinyValues_IsRefusedBeforeItIsBuilt(string shape)
    {
        // 3 bytes a value: within the byte limit, but as a document it would take 200 bytes a value.
        var values = string.Join(',', Enumerable.Repeat("{}", 300_000));
        var body = shape == "page"
            ? "{\"data\":[" + values + "],\"total_count\":1}"
            : "{\"data\":[{\"persona_id\":\"p1\",\"tools\":[" + values + "]}],\"total_count\":1}";
        var handler = new FakeHandler(_ => Json(HttpStatusCode.OK, body));
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync());
            ex.Message.ShouldContain("GET /v2/personas answered 200 with more than 250000 JSON values, the most PersonaOps reads from one answer");
        }
    }

    [Fact]
    public async Task APatchAnsweredWithMillionsOfValues_ProvesNothing()
    {
        var handler = new FakeHandler(_ => Json(HttpStatusCode.OK, "{\"persona_id\":\"p1\",\"x\":[" + string.Join(',', Enumerable.Repeat("0", 300_000)) + "]}"));
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            var patch = new JsonPatchDocument([PatchOperation.Replace(JsonPointer.Parse("/persona_name"), "B")]);
            (await client.PatchPersonaAsync("p1", patch, force: false)).ShouldBe(new PatchOutcome(NotModified: false, Persona: null));
        }
    }

    [Fact]
    public async Task APatchAnsweredWithAHugeBody_ProvesNothing_AndIsReadBackByTheCaller()
    {
        var handler = new FakeHandler(_ => Json(HttpStatusCode.OK, "{\"persona_id\":\"p1\",\"pad\":\"" + new string('x', 4096) + "\"}"));
        var (client, owner) = TavusServices.CreateClient(Connection(handler) with { MaxResponseBytes = 1024 });
        using (owner)
        {
            var patch = new JsonPatchDocument([PatchOperation.Replace(JsonPointer.Parse("/persona_name"), "B")]);
            (await client.PatchPersonaAsync("p1", patch, force: false)).ShouldBe(new PatchOutcome(NotModified: false, Persona: null));
            handler.Requests.Count.ShouldBe(1);
        }
    }

    [Fact]
    public async Task AHugeErrorBody_IsReadOnlyAsAPrefix_RedactedThenCut()
    {
        const string Secret = "sk-STRADDLE-0123456789";
        var prefix = 64 * 1024 - 10; // the secret straddles the prefix's end
        var text = "{\"message\":\"" + new string('a', prefix - 12) + Secret + new string('b', 1024 * 1024) + "\"}";
        var handler = new FakeHandler(_ => Json(HttpStatusCode.InternalServerError, text));
        var (client, owner) = TavusServices.CreateClient(Connection(handler) with { MaxRetries = 0, RedactServerText = t => t.Replace(Secret, "***", StringComparison.Ordinal) });
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync());
            ex.Message.ShouldStartWith("GET /v2/personas answered 500");
            ex.Message.Length.ShouldBeLessThan(1000);
            ex.Message.ShouldNotContain("sk-STR");
        }
    }

    [Fact]
    public async Task ALongErrorReason_IsRedactedBeforeItIsCut()
    {
        const string Secret = "sk-CUT-canary-0123456789";
        var text = new JsonObject { ["detail"] = new string('a', 290) + Secret }.ToJsonString();
        var handler = new FakeHandler(_ => Json(HttpStatusCode.UnprocessableEntity, text));
        var (client, owner) = TavusServices.CreateClient(Connection(handler) with { RedactServerText = t => t.Replace(Secret, "***", StringComparison.Ordinal) });
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync());
            ex.Message.ShouldNotContain("sk-CUT");
            ex.Message.ShouldContain("aaa***");
        }
    }

    // ---- 5. envelopes and error reasons ----

    [Theory]
    [InlineData("""{"data":{"persona_id":"p1","persona_name":"A"}}""")]
    [InlineData("""{"data":[{"persona_id":"p1","persona_name":"A"}]}""")]
    [InlineData("""{"persona_id":"p1","persona_name":"A"}""")]
    public async Task Get_ReadsEveryEnvelopeOfOnePersona(string body)
    {
        var handler = new FakeHandler(_ => Json(HttpStatusCode.OK, body));
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            (await client.GetPersonaAsync("p1"))!["persona_name"]!.GetValue<string>().ShouldBe("A");
        }
    }

    [Theory]
    [InlineData("""{"data":[]}""", "no persona")]
    [InlineData("""{"data":[{"persona_id":"p1"},{"persona_id":"p2"}]}""", "2 personas")]
    [InlineData("""{"data":{"persona_id":"p2","persona_name":"B"}}""", "persona p2")]
    [InlineData("""{"persona_id":"p2","persona_name":"B"}""", "persona p2")]
    [InlineData("""[{"persona_id":"p1"}]""", "something other than a JSON object")]
    public async Task Get_AnsweredWithNoneOrAnotherPersona_IsAnError(string body, string expected)
    {
        var handler = new FakeHandler(_ => Json(HttpStatusCode.OK, body));
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            (await Should.ThrowAsync<TavusApiException>(() => client.GetPersonaAsync("p1"))).Message.ShouldContain(expected);
        }
    }

    [Fact]
    public async Task APatchAnsweredInTheDataObjectEnvelope_IsRead()
    {
        var handler = new FakeHandler(_ => Json(HttpStatusCode.OK, """{"data":{"persona_id":"p1","persona_name":"B"}}"""));
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            var patch = new JsonPatchDocument([PatchOperation.Replace(JsonPointer.Parse("/persona_name"), "B")]);
            (await client.PatchPersonaAsync("p1", patch, force: false)).Persona!["persona_name"]!.GetValue<string>().ShouldBe("B");
        }
    }

    [Theory]
    [InlineData("""{"message":"persona_name is too long"}""", "persona_name is too long")]
    [InlineData("""{"error":"Invalid persona_id"}""", "Invalid persona_id")]
    [InlineData("""{"error":{"message":"quota exceeded","code":"quota"}}""", "quota exceeded")]
    [InlineData("""{"detail":"Not authenticated"}""", "Not authenticated")]
    [InlineData("""{"detail":[{"loc":["body","layers","llm","model"],"msg":"field required","type":"missing"},{"loc":["body","persona_name"],"msg":"too long"}]}""", "layers.llm.model: field required; persona_name: too long")]
    [InlineData("""{"errors":["name is taken","prompt is empty"]}""", "name is taken; prompt is empty")]
    [InlineData("""{"errors":[{"field":"persona_name","message":"is taken"}]}""", "persona_name: is taken")]
    [InlineData("""{"errors":{"persona_name":["is taken","is too long"],"system_prompt":"is empty"}}""", "persona_name: is taken, is too long; system_prompt: is empty")]
    [InlineData("""{"status":422,"title":"Unprocessable","detail":"tts_engine cannot change"}""", "tts_engine cannot change")]
    public async Task AnErrorsReason_ReachesTheUser_UnderWhicheverKeyItIs(string body, string reason)
    {
        var handler = new FakeHandler(_ => Json(HttpStatusCode.UnprocessableEntity, body));
        var (client, owner) = TavusServices.CreateClient(Connection(handler));
        using (owner)
        {
            var ex = await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync());
            ex.Message.ShouldBe($"GET /v2/personas answered 422 Unprocessable Entity: {reason}.");
        }
    }

    [Theory]
    [InlineData("text/plain", "upstream connect error or disconnect/reset before headers", "GET /v2/personas answered 502 Bad Gateway: upstream connect error or disconnect/reset before headers.")]
    [InlineData("text/html", "<html><body><h1>502</h1></body></html>", "GET /v2/personas answered 502 Bad Gateway.")]
    public async Task APlainTextErrorBody_IsItsReason_AnHtmlPageIsNot(string mediaType, string body, string expected)
    {
        var handler = new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent(body + "\n", Encoding.UTF8, mediaType) });
        var (client, owner) = TavusServices.CreateClient(Connection(handler) with { MaxRetries = 0 });
        using (owner)
        {
            (await Should.ThrowAsync<TavusApiException>(() => client.ListUserPersonasAsync())).Message.ShouldBe(expected);
        }
    }

    // ---- 6. a base path in the API URL ----

    [Theory]
    [InlineData("http://gw.test/tavus-staging")]
    [InlineData("http://gw.test/tavus-staging/")]
    public async Task ABasePath_IsKeptByEveryRequest(string baseAddress)
    {
        var handler = new FakeHandler(request => request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath == "/tavus-staging/v2/personas"
            ? Json(HttpStatusCode.OK, """{"data":[{"persona_id":"p1","persona_name":"A"}],"total_count":1}""")
            : request.RequestUri!.AbsolutePath.StartsWith("/tavus-staging/v2/personas", StringComparison.Ordinal)
                ? Json(HttpStatusCode.OK, """{"persona_id":"p1","persona_name":"A"}""")
                : Json(HttpStatusCode.NotFound, """{"error":"no such route"}"""));
        var (client, owner) = TavusServices.CreateClient(Connection(handler) with { BaseAddress = new Uri(baseAddress) });
        using (owner)
        {
            (await client.ListUserPersonasAsync()).Count.ShouldBe(1);
            (await client.GetPersonaAsync("p1")).ShouldNotBeNull();
            (await client.CreatePersonaAsync(new JsonObject { ["persona_name"] = "A" }, NoIds)).Id.ShouldBe("p1");
            await client.PatchPersonaAsync("p1", new JsonPatchDocument([PatchOperation.Replace(JsonPointer.Parse("/persona_name"), "A")]), force: true);
            (await client.DeletePersonaAsync("p1")).ShouldBeTrue();
            handler.Requests.ShouldAllBe(r => r.Contains(" /tavus-staging/v2/personas", StringComparison.Ordinal));
            handler.Requests.Count.ShouldBe(5);
        }
    }

    private static TavusConnection Connection(HttpMessageHandler handler) => new()
    {
        BaseAddress = new Uri("http://tavus.test"),
        ApiKey = "k",
        PrimaryHandler = () => handler,
        BaseDelay = TimeSpan.FromMilliseconds(1),
        MaxDelay = TimeSpan.FromMilliseconds(50),
        MaxRetries = 2,
    };

    private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    /// <summary>A body that starts, then breaks as a dropped connection does.</summary>
    private sealed class BrokenStream(byte[] start) : MemoryStream(start)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            return read > 0 ? read : throw new IOException("The response ended prematurely.");
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>A body that starts, then never ends and never fails: only cancellation stops a read.</summary>
    private sealed class EndlessStream(byte[] start) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position < start.Length)
            {
                var n = Math.Min(buffer.Length, start.Length - _position);
                start.AsMemory(_position, n).CopyTo(buffer);
                _position += n;
                return n;
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("reads are asynchronous");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
