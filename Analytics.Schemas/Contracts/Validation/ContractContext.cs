using System.Globalization;

namespace Analytics.Schemas.Contracts.Validation;

/// <summary>
/// One validation run: the clock, the JSON path of the value being checked, and the problems so
/// far. The path is kept as a stack of segments and turned into text only when a problem is
/// reported, so a valid batch costs no strings.
/// </summary>
public sealed class ContractContext
{
    private Segment[] _path = new Segment[8];
    private int _depth;
    private Frame[] _frames = new Frame[4];
    private int _frameCount;
    private List<Entry>? _problems;

    internal ContractContext(DateTimeOffset now, TimeSpan maxFutureSkew, bool fieldsOnly)
    {
        Now = now;
        MaxFutureSkew = maxFutureSkew;
        FieldsOnly = fieldsOnly;
    }

    /// <summary>The current time, against which <see cref="NotInFutureAttribute"/> instants are held.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>Tolerated clock skew of producers.</summary>
    public TimeSpan MaxFutureSkew { get; }

    /// <summary>Only the per-field limits (what the published JSON Schema says): no rules, no clock.</summary>
    internal bool FieldsOnly { get; }

    internal IReadOnlyList<ValidationProblem> Problems =>
        _problems is null ? [] : _problems.ConvertAll(entry => entry.Problem);

    /// <summary>Reports a problem of the whole object being checked.</summary>
    public void Report(string message) => Add(message);

    /// <summary>Reports a problem of a member of the object being checked, e.g. <c>"width"</c>.</summary>
    public void Report(string member, string message)
    {
        PushMember(member, CurrentPlan.Ordinal(member));
        Add(message);
        Pop();
    }

    /// <summary>Reports a problem of one item of a list member, e.g. <c>recipients[2]</c>.</summary>
    public void Report(string member, int index, string message)
    {
        PushMember(member, CurrentPlan.Ordinal(member));
        PushIndex(index);
        Add(message);
        Pop();
        Pop();
    }

    /// <summary>
    /// Reports a problem inside a member that holds raw JSON, at <paramref name="innerPath"/>
    /// below it (a serializer path such as <c>$.box.width</c>).
    /// </summary>
    public void ReportInside(string member, string innerPath, string message)
    {
        PushMember(member, CurrentPlan.Ordinal(member));
        var suffix = innerPath is { Length: > 1 } && innerPath[0] == '$' ? innerPath[1..] : "";
        Add(message, suffix);
        Pop();
    }

    /// <summary>Checks <paramref name="value"/>, a contract read from a member that holds raw JSON, as if it were that member.</summary>
    public void CheckInside(string member, object value)
    {
        PushMember(member, CurrentPlan.Ordinal(member));
        Check(value);
        Pop();
    }

    /// <summary>
    /// Whether an instant passed its own field checks, so a rule may compare it with another;
    /// a rule does not repeat what the field already said.
    /// </summary>
    public bool IsValidInstant(DateTimeOffset value, bool notInFuture) =>
        value != default && value.Offset == TimeSpan.Zero && (!notInFuture || FieldsOnly || value - Now <= MaxFutureSkew);

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Checks any contract instance, or a list of them, at the current path.</summary>
    internal void Check(object? model)
    {
        switch (model)
        {
            case null:
                Add("is required");
                break;
            case string:
                throw new ArgumentException("A string is not a contract that can be validated.", nameof(model));
            case System.Collections.IEnumerable items when !ContractPlan.IsContract(model.GetType()):
                var index = 0;
                foreach (var item in items)
                {
                    PushIndex(index++);
                    Check(item);
                    Pop();
                }
                break;
            default:
                Walk(model, ContractPlan.For(model.GetType()));
                break;
        }
    }

    /// <summary>
    /// Checks the fields of an object, then its rule, and orders the problems found inside it by
    /// the wire order of the members they are about, so a rule's finding about a field stands
    /// next to the field's own.
    /// </summary>
    internal void Walk(object model, ContractPlan plan)
    {
        if (_frameCount == _frames.Length)
        {
            Array.Resize(ref _frames, _frames.Length * 2);
        }
        var start = _problems?.Count ?? 0;
        var depth = _depth;
        _frames[_frameCount++] = new Frame(plan);
        try
        {
            plan.Run(model, this);
        }
        finally
        {
            _frameCount--;
        }
        if (_problems is { } problems && problems.Count - start > 1)
        {
            SortByMember(problems, start, depth);
        }
    }

    internal void PushMember(string name, int ordinal) => Push(new Segment(name, ordinal, null));

    internal void PushIndex(int index) => Push(new Segment(null, index, null));

    internal void PushKey(string key) => Push(new Segment(null, 0, key));

    internal void Pop() => _depth--;

    internal void Add(string message, string? suffix = null)
    {
        var ordinals = new int[_depth];
        for (var i = 0; i < _depth; i++)
        {
            ordinals[i] = _path[i].Ordinal;
        }
        (_problems ??= []).Add(new Entry(new ValidationProblem(PathText(suffix), message), ordinals));
    }

    private ContractPlan CurrentPlan => _frameCount > 0
        ? _frames[_frameCount - 1].Plan
        : throw new InvalidOperationException("A rule reported a member outside of a contract.");

    private void Push(Segment segment)
    {
        if (_depth == _path.Length)
        {
            Array.Resize(ref _path, _path.Length * 2);
        }
        _path[_depth++] = segment;
    }

    private string PathText(string? suffix)
    {
        var text = new System.Text.StringBuilder("$");
        for (var i = 0; i < _depth; i++)
        {
            var segment = _path[i];
            if (segment.Member is not null)
            {
                text.Append('.').Append(segment.Member);
            }
            else if (segment.Key is { } key)
            {
                // Dictionary keys are written verbatim, so names that are not plain identifiers need brackets.
                var plain = key.Length > 0 && (char.IsAsciiLetter(key[0]) || key[0] == '_') && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
                _ = plain ? text.Append('.').Append(key) : text.Append("['").Append(key.Replace("'", "\\'", StringComparison.Ordinal)).Append("']");
            }
            else
            {
                text.Append('[').Append(segment.Ordinal.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
        }
        return text.Append(suffix).ToString();
    }

    // Insertion sort: stable, and a refused object rarely has more than a handful of problems.
    private static void SortByMember(List<Entry> problems, int start, int depth)
    {
        for (var i = start + 1; i < problems.Count; i++)
        {
            var entry = problems[i];
            var key = entry.OrdinalAt(depth);
            var j = i - 1;
            while (j >= start && problems[j].OrdinalAt(depth) > key)
            {
                problems[j + 1] = problems[j];
                j--;
            }
            problems[j + 1] = entry;
        }
    }

    private readonly record struct Segment(string? Member, int Ordinal, string? Key);

    private readonly record struct Frame(ContractPlan Plan);

    private readonly record struct Entry(ValidationProblem Problem, int[] Ordinals)
    {
        // A problem of the object itself sorts after those of its members.
        public int OrdinalAt(int depth) => depth < Ordinals.Length ? Ordinals[depth] : int.MaxValue;
    }
}
