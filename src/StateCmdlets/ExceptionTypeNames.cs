using System;
using System.Collections.Generic;

namespace StateCmdlets
{
    /// <summary>
    /// The .NET types of a failure, matched against a batch's permanent error types: the
    /// exception's and its inner exceptions' (a .NET call's exception arrives wrapped in a
    /// MethodInvocationException), each with its base types, so a listed type matches what
    /// derives from it, as catch [System.IO.IOException] does.
    /// </summary>
    internal static class ExceptionTypeNames
    {
        internal static string[] Of(Exception? exception)
        {
            var types = new List<string>();
            int depth = 0;
            for (var e = exception; e != null && depth < 16; e = e.InnerException, depth++)
                for (var type = e.GetType(); type != null && type != typeof(Exception) && type != typeof(object); type = type.BaseType)
                    if (!types.Contains(type.FullName ?? type.Name)) types.Add(type.FullName ?? type.Name);
            return types.ToArray();
        }
    }
}
