"""drf-spectacular hooks shared by every API."""


def blank_means_absent(result, generator, request, public):
    """Document that an empty query value counts as not given.

    Query parameters are read by Django forms, so `?accepting=&page=` is the
    same as no accepting and no page, as it is when a browser submits a blank field.
    """
    for path in result["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    parameter["allowEmptyValue"] = True
    return result
