using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using StateCmdlets.Core.Batches;
using Xunit;

namespace StateCmdlets.Core.Tests
{
    /// <summary>
    /// The core's folders depend one way (DESIGN.md, Layers): Storage and Json on nothing of ours,
    /// Versioning on Storage, Batches and StateFiles on those three and never on each other; the
    /// batch model never on the file store. Read from the assembly itself: every type's signatures
    /// and every type a method body names (calls, fields, casts), lambdas and closures included.
    /// </summary>
    public sealed class DependencyDirectionTests
    {
        private const string Root = "StateCmdlets.Core";

        /// <summary>What each namespace may use besides itself and the root (exceptions, problems, error ids).</summary>
        private static readonly Dictionary<string, string[]> Allowed = new Dictionary<string, string[]>
        {
            [Root] = new string[0],
            [Root + ".Storage"] = new string[0],
            [Root + ".Json"] = new string[0],
            [Root + ".Versioning"] = new[] { "Storage" },
            [Root + ".StateFiles"] = new[] { "Storage", "Json", "Versioning" },
            // Import reads other tools' files into the model: part of the model, so the two may meet.
            [Root + ".Batches"] = new[] { "Storage", "Json", "Versioning", "Batches.Import" },
            [Root + ".Batches.Import"] = new[] { "Storage", "Json", "Versioning", "Batches" },
            [Root + ".Batches.FileStore"] = new[] { "Storage", "Json", "Versioning", "Batches", "Batches.Import", "Batches.FileStore.Schema" },
            [Root + ".Batches.FileStore.Schema"] = new[] { "Versioning" },
        };

        [Fact]
        public void EveryNamespaceReachesOnlyWhatItMay()
        {
            var assembly = typeof(IBatchStore).Assembly;
            var wrong = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var type in assembly.GetTypes())
            {
                string from = NamespaceOf(type);
                if (!from.StartsWith(Root, StringComparison.Ordinal)) continue; // compiler-made types outside any namespace
                Assert.True(Allowed.ContainsKey(from), $"Namespace '{from}' has no rule in this test: add one (and to DESIGN.md).");
                var may = new HashSet<string>(Allowed[from].Select(n => Root + "." + n)) { from, Root };
                foreach (var used in TypesUsedBy(type))
                {
                    string to = NamespaceOf(used);
                    if (used.Assembly != assembly || !to.StartsWith(Root, StringComparison.Ordinal) || may.Contains(to)) continue;
                    wrong.Add($"{type.FullName} ({from}) uses {used.FullName} ({to})");
                }
            }
            Assert.True(wrong.Count == 0, "Dependencies against the direction of the layers:\n" + string.Join("\n", wrong));
        }

        [Fact]
        public void TheCheckSeesTypesNamedOnlyInsideMethodBodies()
        {
            // FileBatchStore.Load names BatchReader only in its body (and in a field): the scan must find it.
            var used = TypesUsedBy(typeof(Batches.FileStore.FileBatchStore)).Select(t => t.Name).ToList();
            Assert.Contains("BatchReader", used);
            Assert.Contains("JournalCodec", used); // only ever called from lambdas (closure classes are scanned too)
        }

        /// <summary>A nested type (a closure, a lambda's class) belongs to the namespace of its outermost type.</summary>
        private static string NamespaceOf(Type type)
        {
            while (type.DeclaringType != null) type = type.DeclaringType;
            return type.Namespace ?? string.Empty;
        }

        private static IEnumerable<Type> TypesUsedBy(Type type)
        {
            var found = new HashSet<Type>();
            void Add(Type? t)
            {
                if (t == null) return;
                if (t.IsArray || t.IsByRef || t.IsPointer) { Add(t.GetElementType()); return; }
                if (t.IsGenericParameter) return;
                if (t.IsGenericType && !t.IsGenericTypeDefinition)
                {
                    foreach (var argument in t.GetGenericArguments()) Add(argument);
                    t = t.GetGenericTypeDefinition();
                }
                found.Add(t);
            }

            var nested = new List<Type> { type };
            nested.AddRange(type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic));
            if (type.DeclaringType == null)
                // Closures and lambdas of the type are nested in it; nested types of nested types too.
                for (int i = 1; i < nested.Count; i++) nested.AddRange(nested[i].GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic));
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var t in nested)
            {
                Add(t.BaseType);
                foreach (var i in t.GetInterfaces()) Add(i);
                foreach (var f in t.GetFields(all)) Add(f.FieldType);
                foreach (var p in t.GetProperties(all)) Add(p.PropertyType);
                foreach (var method in t.GetMethods(all).Cast<MethodBase>().Concat(t.GetConstructors(all)))
                {
                    if (method is MethodInfo info) Add(info.ReturnType);
                    foreach (var parameter in method.GetParameters()) Add(parameter.ParameterType);
                    var body = method.GetMethodBody();
                    if (body == null) continue;
                    foreach (var local in body.LocalVariables) Add(local.LocalType);
                    foreach (var member in MembersNamedIn(method, body.GetILAsByteArray() ?? new byte[0]))
                    {
                        if (member is Type named) Add(named);
                        else Add(member.DeclaringType);
                        if (member is FieldInfo field) Add(field.FieldType);
                        if (member is MethodInfo called) Add(called.ReturnType);
                    }
                }
            }
            return found;
        }

        private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!)
            .ToDictionary(o => o.Value);

        /// <summary>The types, methods and fields an IL body refers to by token.</summary>
        private static IEnumerable<MemberInfo> MembersNamedIn(MethodBase method, byte[] il)
        {
            var module = method.Module;
            Type[]? typeArguments = method.DeclaringType != null && method.DeclaringType.IsGenericType ? method.DeclaringType.GetGenericArguments() : null;
            Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
            int at = 0;
            while (at < il.Length)
            {
                short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
                at += il[at] == 0xFE ? 2 : 1;
                var opCode = OpCodesByValue[value];
                switch (opCode.OperandType)
                {
                    case OperandType.InlineNone:
                        break;
                    case OperandType.ShortInlineBrTarget:
                    case OperandType.ShortInlineI:
                    case OperandType.ShortInlineVar:
                        at += 1;
                        break;
                    case OperandType.InlineVar:
                        at += 2;
                        break;
                    case OperandType.InlineI8:
                    case OperandType.InlineR:
                        at += 8;
                        break;
                    case OperandType.InlineSwitch:
                        int count = BitConverter.ToInt32(il, at);
                        at += 4 + 4 * count;
                        break;
                    case OperandType.InlineField:
                    case OperandType.InlineMethod:
                    case OperandType.InlineTok:
                    case OperandType.InlineType:
                        int token = BitConverter.ToInt32(il, at);
                        at += 4;
                        MemberInfo? member = null;
                        try { member = module.ResolveMember(token, typeArguments, methodArguments); }
                        catch (ArgumentException) { }
                        if (member != null) yield return member;
                        break;
                    default:
                        at += 4;
                        break;
                }
            }
        }
    }
}
