{#-
    The offline BigQuery check (`make check-bigquery`, propcast.bigquery_check) compiles every
    SQL model for the bigquery target with no BigQuery to ask. Anything that would ask the
    service while compiling hangs there, so it answers from var('bigquery_offline_check')
    instead. The var is set by that check only: every real run takes dbt's own path.
-#}

{#- True only inside the offline BigQuery check. -#}
{% macro bigquery_offline_check() %}
    {{- return(var('bigquery_offline_check', false) in [true, 'true', 'True']) -}}
{% endmacro %}

{#-
    dbt's is_incremental(), except in the offline check: there it is true without asking
    BigQuery whether the table exists, so the check compiles the incremental branch, the SQL a
    morning run sends.
-#}
{% macro is_incremental() %}
    {#- The var is read here, not through bigquery_offline_check(): sqlfluff's templater
        renders a nested macro's return() as text. -#}
    {%- if var('bigquery_offline_check', false) in [true, 'true', 'True'] -%}
        {{- return(true) -}}
    {%- else -%}
        {{- return(dbt.is_incremental()) -}}
    {%- endif -%}
{% endmacro %}
